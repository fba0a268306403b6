"""One baseline sync against the real apiserver, in a fresh process:
`python -m bench.real_worker MODE KUBECONFIG` (MODE: floor | official).

  floor     aiohttp + orjson over the same 500-object pages of every kind the daemon lists
  official  the official `kubernetes` client listing every kind with paging into its models
Prints one JSON line: seconds, peak RSS in MiB, pods seen.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path

import aiohttp
import orjson

from bench.sync_worker import list_into_models
from cluster.populate import Target
from exporter.kube.resources import RESOURCES

PAGE = 500


async def floor(kubeconfig: Path) -> int:
    """Fetch and decode every page of every kind; keep nothing."""
    target = Target.from_kubeconfig(kubeconfig)
    seen = 0
    async with aiohttp.ClientSession() as session:
        for r in RESOURCES.values():
            token = ""
            while True:
                params = {"limit": str(PAGE), **r.params, **({"continue": token} if token else {})}
                url = target.server + r.path
                async with session.get(url, params=params, ssl=target.tls) as resp:
                    body = orjson.loads(await resp.read())
                seen += len(body["items"]) if r.kind == "pods" else 0
                token = body["metadata"].get("continue", "")
                if not token:
                    break
    return seen


def official(kubeconfig: Path) -> int:
    """What a user of the official client would write, keeping what it lists."""
    from kubernetes import client, config

    return list_into_models(client.CoreV1Api(config.new_client_from_config(str(kubeconfig))))


def main() -> None:
    """Run one mode and print its figures."""
    mode, kubeconfig = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    seen = official(kubeconfig) if mode == "official" else asyncio.run(floor(kubeconfig))
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "seconds": seconds, "rss_mib": rss, "objects": seen}))


if __name__ == "__main__":
    main()
