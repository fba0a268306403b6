"""The endless list-then-watch loop of one kind, and the supervisor that keeps it alive.

LIST (pages streamed into the sink) -> WATCH from the list's resourceVersion -> after a
clean close resume from the last resourceVersion seen, without relisting -> on 410
relist and replace that kind's state -> on other errors back off and resume.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from exporter.errors import Gone, KubeAPIError, StreamError, TooManyRequests, Unauthorized
from exporter.failures import contain
from exporter.kube.backoff import Backoff, Retry
from exporter.kube.client import KubeClient
from exporter.kube.gctuning import LISTING_THRESHOLD, fewer_collections
from exporter.kube.listing import DEFAULT_PAGE_SIZE, list_pages
from exporter.kube.resources import RESOURCES, Resource
from exporter.kube.watching import Watch
from exporter.logconfig import Log
from exporter.model.bodies import WatchedObject
from exporter.model.health import InformerHealth

Sleep = Callable[[float], Awaitable[object]]


class Sink(Protocol):
    """Where an informer delivers objects; called synchronously, in order, per kind."""

    # What the methods return is the sink's own business: the informer ignores it.

    def begin_relist(self, kind: str) -> object:
        """A LIST of `kind` starts (again: a failed one may have delivered some pages)."""

    def add_listed(self, kind: str, objects: Sequence[WatchedObject]) -> object:
        """One page of the LIST."""

    def end_relist(self, kind: str) -> object:
        """The LIST is complete: objects not listed since begin_relist are gone."""

    def apply(self, kind: str, event_type: str, obj: WatchedObject) -> object:
        """One watch event: ADDED, MODIFIED or DELETED."""


@dataclass(frozen=True, slots=True)
class InformerOptions:
    """Knobs of every informer (from Settings)."""

    page_size: int = DEFAULT_PAGE_SIZE
    watch_timeout: int = 300  # seconds the server keeps one WATCH open
    # Longer than the server's bookmark interval, or quiet kinds would reconnect needlessly.
    inactivity_timeout: float = 70.0
    backoff: Backoff = field(default_factory=Backoff)
    # Young-generation GC threshold while a LIST is in progress (0: leave GC alone).
    list_gc_threshold: int = LISTING_THRESHOLD


@dataclass(frozen=True, slots=True)
class Timing:
    """Injected time: tests pass a sleep that does not wait and a seeded random."""

    sleep: Sleep = asyncio.sleep
    clock: Callable[[], float] = time.monotonic  # for backoff
    wall_clock: Callable[[], float] = time.time  # for last_event_timestamp
    rng: random.Random = field(default_factory=random.Random)


class Informer:
    """Keeps a Sink in step with one kind of the cluster, forever."""

    def __init__(
        self,
        client: KubeClient,
        resource: Resource,
        *,
        sink: Sink,
        health: InformerHealth,
        options: InformerOptions | None = None,
        timing: Timing | None = None,
        log: Log | None = None,
    ) -> None:
        self.client, self.resource, self.sink, self.health = client, resource, sink, health
        self.options = options or InformerOptions()
        self.timing = timing or Timing()
        self.log: Log = log if log is not None else structlog.get_logger("quotameter.informer")
        self.resource_version = ""  # where the next WATCH resumes; "" means relist first
        self._retry = Retry(self.options.backoff, clock=self.timing.clock, rng=self.timing.rng)
        health.register([resource.kind])

    async def run(self) -> None:
        """List, then watch, forever; only cancellation (or a bug) ends it."""
        kind = self.resource.kind
        self.resource_version = ""  # a restarted loop trusts nothing it delivered before
        reason = "error" if self.health.kind(kind).synced else "initial"
        while True:
            try:
                await self._list_and_watch(reason)
            except Gone as e:
                self.resource_version, reason = "", "gone"
                await self._recover(e)
            except KubeAPIError as e:
                if not self.resource_version and self.health.kind(kind).synced:
                    reason = "error"
                await self._recover(e)

    async def relist(self, reason: str) -> str:
        """LIST every page into the sink and mark the kind synced; returns the list's rv."""
        kind = self.resource.kind
        with fewer_collections(self.options.list_gc_threshold):
            rv, count = await self._deliver_pages(reason)
            self.sink.end_relist(kind)
        self.health.mark_synced(kind)
        self.log.info("list.done", kind=kind, reason=reason, objects=count, resource_version=rv)
        return rv

    async def _deliver_pages(self, reason: str) -> tuple[str, int]:
        """Stream the pages of one LIST into the sink: (its resourceVersion, objects)."""
        kind = self.resource.kind
        rv, count = "", 0
        pages = list_pages(self.client, self.resource, page_size=self.options.page_size)
        async with aclosing(pages):
            async for page in pages:
                if not rv:  # counted once served: a throttled or refused LIST is no relist
                    self.health.record_relist(kind, reason)
                    self.sink.begin_relist(kind)
                self.sink.add_listed(kind, page.items)
                rv, count = page.resource_version, count + len(page.items)
        return rv, count

    async def watch(self) -> None:
        """One WATCH from `resource_version`, applying events until the server closes it."""
        kind = self.resource.kind
        watch = Watch(
            self.client, self.resource, resource_version=self.resource_version,
            timeout_seconds=self.options.watch_timeout,
            inactivity_timeout=self.options.inactivity_timeout,
        )  # fmt: skip
        events = watch.events()
        try:
            async with aclosing(events):
                async for event_type, obj in events:
                    self.health.record_event(kind, event_type, timestamp=self.timing.wall_clock())
                    if event_type != "BOOKMARK":
                        self.sink.apply(kind, event_type, obj)
        finally:
            # Progress survives a broken stream: the next WATCH picks up from here.
            self.resource_version = watch.resource_version

    async def _list_and_watch(self, reason: str) -> None:
        if not self.resource_version:
            self.resource_version = await self.relist(reason)
        while True:
            await self.watch()
            self.log.debug(
                "watch.closed", kind=self.resource.kind, resource_version=self.resource_version
            )

    async def _recover(self, error: KubeAPIError) -> None:
        delay = self._retry.delay(error)
        self.log.warning(
            "watch.restarted",
            kind=self.resource.kind,
            reason=_reason(error),
            error=str(error),
            code=error.code,
            retry_in=round(delay, 3),
            resume_from=self.resource_version or None,
        )
        if delay > 0:
            await self.timing.sleep(delay)


def _reason(error: KubeAPIError) -> str:
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "error"


_REASONS = (
    (Gone, "gone"),
    (TooManyRequests, "throttled"),
    (StreamError, "stream"),
    (Unauthorized, "unauthorized"),
)


async def supervise(
    name: str,
    coro_factory: Callable[[], Awaitable[None]],
    *,
    health: InformerHealth,
    log: Log | None = None,
    backoff: Backoff | None = None,
    timing: Timing | None = None,
) -> None:
    """Await coro_factory() until it returns; when it crashes, log, count and restart it.

    A crashed task shows as failing in health (hence /readyz) until a restart of it has
    run for ``backoff.reset_after`` seconds without failing."""
    log = log if log is not None else structlog.get_logger("quotameter.supervisor")
    timing = timing or Timing()
    backoff = backoff or Backoff()
    retry = Retry(backoff, clock=timing.clock, rng=timing.rng)
    health.register_task(name)
    while True:
        with contain() as failure:
            await _run_watched(name, coro_factory, health=health, healthy_after=backoff.reset_after)
            health.record_recovered(name)  # it ended as it should
            return
        error = failure.error
        health.record_restart(name, error=repr(error))
        delay = retry.delay(error)
        log.error("task.restarted", task=name, error=repr(error), retry_in=round(delay, 3),
                  exc_info=error)  # fmt: skip
        await timing.sleep(delay)


async def _run_watched(
    name: str,
    coro_factory: Callable[[], Awaitable[None]],
    *,
    health: InformerHealth,
    healthy_after: float,
) -> None:
    """Await one run of a task; a failing task that lasts ``healthy_after`` recovers."""
    task = asyncio.ensure_future(coro_factory())
    try:
        if name in health.failing:
            done, _ = await asyncio.wait({task}, timeout=healthy_after)
            if not done:
                health.record_recovered(name)
        await task
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def run_informers(
    client: KubeClient,
    *,
    sink: Sink,
    health: InformerHealth,
    resources: Iterable[Resource] = RESOURCES.values(),
    options: InformerOptions | None = None,
    timing: Timing | None = None,
    log: Log | None = None,
) -> None:
    """Run one supervised informer per resource until cancelled."""
    informers = [
        Informer(client, r, sink=sink, health=health, options=options, timing=timing, log=log)
        for r in resources
    ]
    async with asyncio.TaskGroup() as group:
        for informer in informers:
            name = f"informer.{informer.resource.kind}"
            group.create_task(
                supervise(name, informer.run, health=health, log=log, timing=timing), name=name
            )
