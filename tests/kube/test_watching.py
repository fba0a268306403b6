"""One WATCH request against the simulated API: events, bookmarks, in-stream errors."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from exporter.errors import Gone, ServerError, StreamError
from exporter.kube.client import KubeClient
from exporter.kube.resources import RESOURCES
from exporter.kube.watching import Watch
from exporter.model.health import InformerHealth
from quotasim.cluster import POD, Cluster
from quotasim.faults import Fault
from quotasim.server import SimServer

from .helpers import drain, make_pod


def watch_pods(client: KubeClient, rv: str, *, timeout_seconds: int = 30) -> Watch:
    return Watch(
        client, RESOURCES["pods"], resource_version=rv, timeout_seconds=timeout_seconds,
        inactivity_timeout=2.0,
    )  # fmt: skip


async def test_sees_added_modified_deleted_and_bookmarks(
    client: KubeClient, sim: SimServer
) -> None:
    start = str(sim.cluster.store.rv)
    watch = watch_pods(client, start)
    seen: list[tuple[str, str]] = []
    created = sim.cluster.create(POD, make_pod("w1"), namespace="dev")
    updated = sim.cluster.update(
        POD, {**created, "metadata": {**created["metadata"], "labels": {"x": "y"}}}, namespace="dev"
    )
    deleted = sim.cluster.delete(POD, "dev", "w1")
    async with aclosing(watch.events()) as events:
        async for event_type, obj in events:
            seen.append((event_type, obj["metadata"]["resourceVersion"]))
            if event_type == "BOOKMARK":
                break
    rvs = [o["metadata"]["resourceVersion"] for o in (created, updated, deleted)]
    assert seen[:3] == list(zip(["ADDED", "MODIFIED", "DELETED"], rvs, strict=True))
    assert seen[3] == ("BOOKMARK", str(sim.cluster.store.rv))
    assert watch.resource_version == str(sim.cluster.store.rv)


async def test_clean_close_at_server_timeout(client: KubeClient, sim: SimServer) -> None:
    watch = watch_pods(client, str(sim.cluster.store.rv), timeout_seconds=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with aclosing(watch.events()) as events:
        types = [t async for t, _ in events]
    assert 0.9 < loop.time() - started < 3
    assert set(types) == {"BOOKMARK"}


async def test_in_stream_410_is_gone(
    client: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    sim.inject(Fault(kind="gone", resource="pods"))
    with pytest.raises(Gone) as caught:
        await drain(watch_pods(client, str(sim.cluster.store.rv)).events())
    assert caught.value.code == 410
    assert caught.value.reason == "Expired"
    assert health.api_errors_total == {("pods", "410"): 1}


async def test_expired_resource_version_is_gone(client: KubeClient, sim: SimServer) -> None:
    sim.cluster.store.compacted_rv = sim.cluster.store.rv  # as if the history rolled over
    with pytest.raises(Gone, match="too old resource version"):
        await drain(watch_pods(client, "1001").events())


async def test_http_410_is_gone_too(client: KubeClient, sim: SimServer) -> None:
    sim.inject(Fault(kind="http", resource="pods", status=410))
    with pytest.raises(Gone):
        await drain(watch_pods(client, str(sim.cluster.store.rv)).events())


async def test_garbage_line_is_a_stream_error(
    client: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    watch = watch_pods(client, str(sim.cluster.store.rv))
    sim.inject(Fault(kind="garbage", resource="pods"))
    with pytest.raises(StreamError, match="bad line"):
        await drain(watch.events())
    assert health.api_errors_total == {("pods", "stream"): 1}


async def test_dropped_stream_is_a_stream_error_and_keeps_progress(
    client: KubeClient, sim: SimServer
) -> None:
    watch = watch_pods(client, str(sim.cluster.store.rv))
    created = sim.cluster.create(POD, make_pod("w2"), namespace="dev")

    async def drop_after_added() -> None:
        async with aclosing(watch.events()) as events:
            async for event_type, _ in events:
                if event_type == "ADDED":
                    sim.inject(Fault(kind="drop", resource="pods"))

    with pytest.raises(StreamError):
        await drop_after_added()
    assert watch.resource_version == created["metadata"]["resourceVersion"]


async def test_other_in_stream_errors_are_mapped(client: KubeClient, sim: SimServer) -> None:
    status = {"kind": "Status", "status": "Failure", "code": 500, "message": "etcd is sad"}
    with pytest.raises(ServerError, match="etcd is sad"):
        raise client.status_error(status, kind="pods")


async def test_watch_without_resource_version_gets_synthetic_adds(
    client: KubeClient, reference_cluster: Cluster, sim: SimServer
) -> None:
    watch = watch_pods(client, "")
    added = 0
    async with aclosing(watch.events()) as events:
        async for event_type, _ in events:
            if event_type == "BOOKMARK":
                break
            added += 1
    assert added == reference_cluster.store.count(POD)
