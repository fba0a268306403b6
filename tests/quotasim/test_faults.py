"""Faults injected on demand, seen from a raw HTTP client."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from quotasim.cluster import POD
from quotasim.faults import Fault
from quotasim.server import SimServer


@pytest.fixture
async def http(sim: SimServer):
    async with aiohttp.ClientSession(base_url=sim.url) as session:
        yield session


async def test_429_with_retry_after_then_recovers(sim: SimServer, http) -> None:
    async with http.post(
        "/sim/faults",
        json={"kind": "http", "resource": "pods", "status": 429, "retry_after": 3, "count": 2},
    ) as r:
        assert r.status == 202
    for _ in range(2):
        async with http.get("/api/v1/pods") as r:
            assert r.status == 429
            assert r.headers["Retry-After"] == "3"
            assert (await r.json())["reason"] == "TooManyRequests"
    async with http.get("/api/v1/pods") as r:
        assert r.status == 200
        assert len((await r.json())["items"]) == 6


async def test_500_only_hits_its_resource(sim: SimServer, http) -> None:
    sim.inject(Fault(kind="http", resource="pods", status=500))
    async with http.get("/api/v1/namespaces") as r:
        assert r.status == 200
    async with http.get("/api/v1/pods") as r:
        assert r.status == 500
        assert (await r.json())["reason"] == "InternalError"


async def _watch_lines(http, rv: int) -> list[bytes]:
    lines = []
    async with http.get(
        "/api/v1/pods", params={"watch": "1", "resourceVersion": str(rv), "timeoutSeconds": "2"}
    ) as r:
        async for line in r.content:
            lines.append(line)
    return lines


async def test_in_stream_410(sim: SimServer, http) -> None:
    task = asyncio.create_task(_watch_lines(http, sim.cluster.store.rv))
    await asyncio.sleep(0.2)
    sim.inject(Fault(kind="gone", resource="pods"))
    lines = await asyncio.wait_for(task, 5)
    event = orjson.loads(lines[-1])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


async def test_garbage_line_then_events_continue(sim: SimServer, http) -> None:
    task = asyncio.create_task(_watch_lines(http, sim.cluster.store.rv))
    await asyncio.sleep(0.2)
    sim.inject(Fault(kind="garbage", resource="pods"))
    await asyncio.sleep(0.1)
    sim.cluster.delete(POD, "dev", next(iter(sim.cluster.pods("dev")))["metadata"]["name"])
    lines = await asyncio.wait_for(task, 5)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(lines[0])
    assert [orjson.loads(line)["type"] for line in lines[1:]][:1] == ["DELETED"]


async def test_dropped_stream_is_truncated(sim: SimServer, http) -> None:
    task = asyncio.create_task(_watch_lines(http, sim.cluster.store.rv))
    await asyncio.sleep(0.2)
    sim.inject(Fault(kind="drop", resource="pods"))
    with pytest.raises(aiohttp.ClientPayloadError):
        await asyncio.wait_for(task, 5)


async def test_bookmarks_carry_the_current_resource_version(sim: SimServer, http) -> None:
    params = {
        "watch": "1",
        "resourceVersion": str(sim.cluster.store.rv),
        "allowWatchBookmarks": "true",
        "timeoutSeconds": "1",
    }
    async with http.get("/api/v1/pods", params=params) as r:
        events = [orjson.loads(line) async for line in r.content]
    assert events
    assert {e["type"] for e in events} == {"BOOKMARK"}
    assert events[-1]["object"]["metadata"]["resourceVersion"] == str(sim.cluster.store.rv)


async def test_field_selector_exit_is_a_delete(sim: SimServer, http) -> None:
    pod = next(iter(sim.cluster.pods("dev")))
    params = {
        "watch": "1",
        "resourceVersion": str(sim.cluster.store.rv),
        "timeoutSeconds": "1",
        "fieldSelector": "status.phase=Running",
    }
    async with http.get("/api/v1/namespaces/dev/pods", params=params) as r:
        failed = {**pod, "status": {**pod["status"], "phase": "Failed"}}
        sim.cluster.update(POD, failed, namespace="dev", subresource="status")
        events = [orjson.loads(line) async for line in r.content]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("DELETED", pod["metadata"]["name"])
    ]


async def test_unknown_fault_is_400(http) -> None:
    async with http.post("/sim/faults", json={"kind": "meteor"}) as r:
        assert r.status == 400
        assert "unknown fault kind" in (await r.json())["message"]
