"""Fill the real control plane through its API: namespaces, each with a ResourceQuota, a
LimitRange and pods bound to KWOK nodes, for the scale test and the benchmarks.

    python -m cluster.populate --kubeconfig K --namespaces 500 --pods-per-namespace 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

CONCURRENCY = 32


@dataclass(frozen=True, slots=True)
class Target:
    """Where and as whom to write: the apiserver URL and the admin's TLS context."""

    server: str
    tls: ssl.SSLContext

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Target:
        """Read a kubeconfig written by `cluster.launcher` (client certificate paths)."""
        config = json.loads(path.read_text())
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
        tls.load_cert_chain(user["client-certificate"], user["client-key"])
        return cls(server=cluster["server"], tls=tls)


def namespace_objects(index: int, *, pods: int, nodes: int) -> Iterator[tuple[str, dict]]:
    """(collection path, object) for one synthetic namespace, in creation order."""
    ns = f"team-{index:05d}"
    yield (
        "/api/v1/namespaces",
        {
            "metadata": {"name": ns, "labels": {"team": f"team-{index % 50:02d}"}},
        },
    )
    base = f"/api/v1/namespaces/{ns}"
    yield (
        f"{base}/resourcequotas",
        {
            "metadata": {"name": "quota"},
            "spec": {
                "hard": {
                    "requests.cpu": "100",
                    "requests.memory": "200Gi",
                    "limits.cpu": "200",
                    "limits.memory": "400Gi",
                    "pods": str(pods * 2),
                }
            },
        },
    )
    yield (
        f"{base}/limitranges",
        {
            "metadata": {"name": "limits"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "512Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    }
                ]
            },
        },
    )
    for p in range(pods):
        yield f"{base}/pods", pod(f"app-{p:04d}", node=f"kwok-node-{(index * pods + p) % nodes}")


def pod(name: str, *, node: str) -> dict:
    """A pod already bound to a KWOK node (no scheduler round trip), with requests and limits."""
    return {
        "metadata": {"name": name, "labels": {"app": name.rsplit("-", 1)[0]}},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example.com/app:1",
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"cpu": "250m", "memory": "256Mi"},
                    },
                }
            ],
        },
    }


async def _post(session: aiohttp.ClientSession, target: Target, path: str, body: dict) -> None:
    for attempt in range(20):
        async with session.post(target.server + path, json=body, ssl=target.tls) as r:
            if r.status in (200, 201, 409):
                return
            text = await r.text()
            # Until the serviceaccount controller has made "default", pods are refused.
            if r.status in (403, 429, 500, 503) and attempt < 19:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            raise RuntimeError(f"POST {path}: {r.status} {text[:300]}")


async def populate(
    target: Target, *, namespaces: int, pods_per_namespace: int, nodes: int, progress: bool = True
) -> float:
    """Create everything; returns the seconds it took."""
    started = time.monotonic()
    queue: asyncio.Queue[list[tuple[str, dict]] | None] = asyncio.Queue(maxsize=CONCURRENCY * 2)
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while (batch := await queue.get()) is not None:
            for path, body in batch:  # one namespace's objects, in order
                await _post(session, target, path, body)
            done += 1
            if progress and done % 100 == 0:
                rate = done / (time.monotonic() - started)
                print(f"  {done}/{namespaces} namespaces ({rate:.0f}/s)", file=sys.stderr)

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(CONCURRENCY)]
        for i in range(namespaces):
            await queue.put(list(namespace_objects(i, pods=pods_per_namespace, nodes=nodes)))
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    return time.monotonic() - started


def main() -> int:
    """Command line: populate the cluster of a kubeconfig."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--pods-per-namespace", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=3, help="KWOK nodes kwok-node-0..N-1")
    args = parser.parse_args()
    seconds = asyncio.run(
        populate(
            Target.from_kubeconfig(args.kubeconfig),
            namespaces=args.namespaces,
            pods_per_namespace=args.pods_per_namespace,
            nodes=args.nodes,
        )
    )
    total = args.namespaces * args.pods_per_namespace
    print(f"created {args.namespaces} namespaces and {total} pods in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
