"""The official `kubernetes` Python client against the simulated API server.

The client is synchronous, so each call runs in a thread while the server
keeps serving on the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from quotasim.cluster import NAMESPACE, POD
from quotasim.server import SimServer


@pytest.fixture
def core(kubeconfig: Path) -> Iterator[client.CoreV1Api]:
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    yield client.CoreV1Api(api_client)
    api_client.close()


def _pod(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "busybox",
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "32Mi"},
                        "limits": {"cpu": "10m", "memory": "32Mi"},
                    },
                }
            ]
        },
    }


def _list_all(core: client.CoreV1Api, limit: int) -> tuple[list[str], int]:
    names, token, pages = [], None, 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=limit, _continue=token)
        names += [f"{p.metadata.namespace}/{p.metadata.name}" for p in page.items if p.metadata]
        pages += 1
        assert page.metadata is not None  # a list always has its ListMeta
        token = page.metadata._continue
        if not token:
            return names, pages


async def test_paginated_list_returns_every_pod_once(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    sim.cluster.create(NAMESPACE, {"metadata": {"name": "bulk"}})
    for i in range(23):
        sim.cluster.create(POD, _pod(f"p{i:02d}"), namespace="bulk")
    names, pages = await asyncio.to_thread(_list_all, core, 5)
    truth = [
        f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in sim.cluster.store.iter(POD)
    ]
    assert len(names) == len(truth) == 29
    assert sorted(names) == sorted(truth)
    assert pages == 6


async def test_expired_continue_token_is_410(sim: SimServer, core: client.CoreV1Api) -> None:
    first = await asyncio.to_thread(core.list_pod_for_all_namespaces, limit=2)
    assert first.metadata is not None
    sim.cluster.store.expire_continue_tokens()
    with pytest.raises(ApiException) as info:
        await asyncio.to_thread(
            core.list_pod_for_all_namespaces, limit=2, _continue=first.metadata._continue
        )
    assert info.value.status == 410
    assert info.value.body is not None
    assert "continue parameter is too old" in info.value.body


def _collect_events(core: client.CoreV1Api, rv: str, want: int) -> list[tuple[str, str]]:
    seen = []
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod, namespace="dev", resource_version=rv, timeout_seconds=10
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == want:
            w.stop()
    return seen


async def test_watch_sees_added_modified_deleted(sim: SimServer, core: client.CoreV1Api) -> None:
    rv = str(sim.cluster.store.rv)
    sim.cluster.create(POD, _pod("w1"), namespace="dev")
    current = sim.cluster.get(POD, "dev", "w1")
    labelled = {**current, "metadata": {**current["metadata"], "labels": {"x": "y"}}}
    sim.cluster.update(POD, labelled, namespace="dev")
    sim.cluster.delete(POD, "dev", "w1")
    events = await asyncio.to_thread(_collect_events, core, rv, 3)
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def _first_raw_event(core: client.CoreV1Api, rv: str) -> dict:
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod,
        namespace="dev",
        resource_version=rv,
        timeout_seconds=5,
        _preload_content=False,
    ):
        w.stop()
        return event
    raise AssertionError("no event")


async def test_watch_from_compacted_version_gets_410_error(
    sim: SimServer, core: client.CoreV1Api
) -> None:
    sim.cluster.store.history.clear()
    sim.cluster.store.compacted_rv = sim.cluster.store.rv
    old = str(sim.cluster.store.rv - 5)
    with pytest.raises(ApiException) as info:
        # The client raises on an ERROR event carrying a 410 Status.
        await asyncio.to_thread(_first_raw_event, core, old)
    assert info.value.status == 410
    assert "too old resource version" in str(info.value.reason)
