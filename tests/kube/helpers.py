"""Helpers for the kube tests: a recording sink, a sleep that does not wait, a logger
that remembers, and an informer running in the background for the length of a block."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Any

from exporter.model.bodies import WatchedObject
from quotasim.cluster import POD
from quotasim.resources import ResourceType
from quotasim.server import SimServer

Truth = dict[str, str]  # uid -> resourceVersion


class RecordingSink:
    """Keeps {kind: {uid: resourceVersion}}, the way a real sink keeps decoded records."""

    def __init__(self) -> None:
        self.state: dict[str, Truth] = defaultdict(dict)
        self.listed: dict[str, list[str]] = {}  # uids delivered since begin_relist, in order
        self.calls: Counter[tuple[str, str]] = Counter()  # (method, kind)
        self.on_page: Callable[[str, int], None] | None = None  # hook: (kind, page number)

    def begin_relist(self, kind: str) -> None:
        self.calls["begin_relist", kind] += 1
        self.listed[kind] = []

    def add_listed(self, kind: str, objects: Sequence[WatchedObject]) -> None:
        self.calls["add_listed", kind] += 1
        for obj in objects:
            meta = obj["metadata"]
            self.state[kind][meta["uid"]] = meta["resourceVersion"]
            self.listed[kind].append(meta["uid"])
        if self.on_page is not None:
            self.on_page(kind, self.calls["add_listed", kind])

    def end_relist(self, kind: str) -> None:
        self.calls["end_relist", kind] += 1
        seen = set(self.listed[kind])
        for uid in [u for u in self.state[kind] if u not in seen]:
            del self.state[kind][uid]

    def apply(self, kind: str, event_type: str, obj: WatchedObject) -> None:
        self.calls[event_type, kind] += 1
        meta = obj["metadata"]
        if event_type == "DELETED":
            self.state[kind].pop(meta["uid"], None)
        else:
            self.state[kind][meta["uid"]] = meta["resourceVersion"]


class FakeSleep:
    """Records every requested delay and yields once instead of waiting."""

    def __init__(self, then: Callable[[float], None] | None = None) -> None:
        self.delays: list[float] = []
        self.then = then  # runs on each call: lets a test change the world "during" a wait

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.then is not None:
            self.then(seconds)
        await asyncio.sleep(0)


class RecordingLog:
    """A structlog-like logger that keeps (level, event, fields)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, dict[str, Any]]] = []

    def _record(self, level: str) -> Callable[..., None]:
        return lambda event, **fields: self.records.append((level, event, fields))

    def __getattr__(self, level: str) -> Callable[..., None]:
        if level in ("debug", "info", "warning", "error"):
            return self._record(level)
        raise AttributeError(level)

    def events(self, name: str) -> list[dict[str, Any]]:
        """The fields of every record of one event name."""
        return [fields for _, event, fields in self.records if event == name]


def truth(sim: SimServer, rtype: ResourceType = POD) -> Truth:
    """{uid: resourceVersion} of every object of a type in the simulated cluster."""
    return {
        o["metadata"]["uid"]: o["metadata"]["resourceVersion"]
        for o in sim.cluster.store.iter(rtype)
    }


async def wait_until(predicate: Callable[[], bool], *, within: float = 10.0) -> None:
    """Poll until predicate() holds; fail the test after `within` seconds."""
    async with asyncio.timeout(within):
        # A plain predicate over the sink and the cluster: there is no event to await.
        while not predicate():
            await asyncio.sleep(0.01)


async def drain(events: AsyncGenerator[Any, None]) -> list[Any]:
    """Consume an async generator to its end (or its exception), closing it either way."""
    async with contextlib.aclosing(events):
        return [item async for item in events]


def make_pod(name: str, **annotations: str) -> dict:
    """A bare pod (no owner, no resources: LimitRange defaults fill them in)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }


@contextlib.asynccontextmanager
async def running(coro_factory: Callable[[], Any]) -> AsyncIterator[asyncio.Task]:
    """Run a coroutine as a task for a block; cancel it and surface its crash at the end."""
    task = asyncio.create_task(coro_factory())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
