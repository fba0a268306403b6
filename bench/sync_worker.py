"""One measured initial sync, in a fresh process: `python -m bench.sync_worker MODE URL`.

Modes, each listing the seven kinds the daemon watches with 500-object pages:
  floor     aiohttp fetch + orjson decode, nothing kept (the floor)
  official  the official `kubernetes` client listing with paging into its models
  daemon    quotameter's informers into its state, until every kind is synced
Prints one JSON line: seconds, peak RSS in MiB, pods seen.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from typing import Any

import aiohttp
import orjson

from exporter.kube.resources import RESOURCES

PAGE = 500


async def floor(url: str) -> int:
    """Fetch and decode every page; keep nothing."""
    seen = 0
    async with aiohttp.ClientSession() as session:
        for r in RESOURCES.values():
            token = ""
            while True:
                params = {"limit": str(PAGE), **r.params, **({"continue": token} if token else {})}
                async with session.get(url + r.path, params=params) as resp:
                    body = orjson.loads(await resp.read())
                seen += len(body["items"]) if r.kind == "pods" else 0
                token = body["metadata"].get("continue", "")
                if not token:
                    break
    return seen


def official(url: str) -> int:
    """What a user of the official client would write."""
    from kubernetes import client

    config = client.Configuration()
    config.host = url
    return list_into_models(client.CoreV1Api(client.ApiClient(config)))


def list_into_models(api: Any) -> int:
    """List every kind the daemon watches through a CoreV1Api, keeping the models as an
    informer would; returns the pods seen."""
    listers = {
        "namespaces": api.list_namespace,
        "pods": api.list_pod_for_all_namespaces,
        "resourcequotas": api.list_resource_quota_for_all_namespaces,
        "limitranges": api.list_limit_range_for_all_namespaces,
        "nodes": api.list_node,
        "persistentvolumeclaims": api.list_persistent_volume_claim_for_all_namespaces,
        "events": api.list_event_for_all_namespaces,
    }
    seen, kept = 0, []
    for kind, lister in listers.items():
        token = None
        extra = {"field_selector": "reason=FailedCreate"} if kind == "events" else {}
        while True:
            page = lister(limit=PAGE, _continue=token, **extra)
            kept.extend(page.items)  # an informer keeps what it lists
            seen += len(page.items) if kind == "pods" else 0
            token = page.metadata._continue
            if not token:
                break
    return seen


async def daemon(url: str) -> int:
    """quotameter's informers into its state, until every kind has synced."""
    from exporter.kube.client import KubeClient
    from exporter.kube.config import static_config
    from exporter.kube.informer import InformerOptions, run_informers
    from exporter.model.health import InformerHealth
    from exporter.model.state import ClusterState

    health = InformerHealth()
    health.register(RESOURCES)
    state = ClusterState(health=health)
    async with KubeClient(static_config(url), health=health) as kube:
        task = asyncio.create_task(
            run_informers(kube, sink=state, health=health, options=InformerOptions(page_size=PAGE))
        )
        while health.unsynced_kinds():
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return len(state.pods())


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    if mode == "official":
        seen = official(url)
    else:
        seen = asyncio.run(floor(url) if mode == "floor" else daemon(url))
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "seconds": seconds, "rss_mib": rss, "objects": seen}))


if __name__ == "__main__":
    main()
