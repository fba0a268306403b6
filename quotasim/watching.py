"""WATCH streams: replay from a resourceVersion, live events, bookmarks, and
the stream faults (dropped connection, in-stream 410, garbage line, stall)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from quotasim.apierrors import SimError
from quotasim.context import ApiContext
from quotasim.faults import FLOOD_LIMIT, STREAM_FAULTS, Fault
from quotasim.resources import ResourceType
from quotasim.responses import encode
from quotasim.selectors import list_matcher
from quotasim.store import Event, Expired
from quotasim.tables.rendering import render_watch_table

DEFAULT_TIMEOUT_SECONDS = 1800  # the API server's default is 30-60 min


class WatchStream:
    """One WATCH request, from its resourceVersion until timeout, fault or disconnect."""

    def __init__(
        self,
        context: ApiContext,
        rtype: ResourceType,
        namespace: str | None,
        query: Mapping[str, str],
        *,
        table: str | None,
    ) -> None:
        self.context, self.rtype, self.namespace = context, rtype, namespace
        self.store = context.cluster.store
        self.match = list_matcher(rtype, query)
        self.rv = query.get("resourceVersion") or ""
        self.bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        self.timeout = _timeout_seconds(query.get("timeoutSeconds"))
        self.table = table
        self.include_object = query.get("includeObject", "Metadata")
        self._first_table = True
        self._drained = 0  # items read from a backlog without waiting

    async def run(self, request: web.Request) -> web.StreamResponse:
        """Stream events as JSON lines over chunked encoding."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue()
        self.store.watchers[queue] = self.rtype
        task = asyncio.current_task()
        if task is not None:
            self.context.streams.add(task)
        try:
            await self._stream(request, response, queue)
        except ConnectionResetError:
            pass  # the client went away: the stream is over
        finally:
            self.store.watchers.pop(queue, None)
            self.context.streams.discard(task)
        return response

    async def _stream(
        self, request: web.Request, response: web.StreamResponse, queue: asyncio.Queue
    ) -> None:
        try:
            backlog = self._backlog()
        except Expired as e:
            await self._write(response, {"type": "ERROR", "object": _expired_status(str(e))})
            return
        for event in backlog:
            await self._send(response, event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        next_bookmark = loop.time() + self.context.bookmark_seconds
        while (now := loop.time()) < deadline:
            fault = self.context.faults.take(STREAM_FAULTS, self.rtype.plural, self.rtype.group)
            if fault is not None:
                if await self._act(request, response, fault):
                    return
                continue
            try:
                item = await self._next(queue, min(deadline, next_bookmark) - now)
            except TimeoutError:
                if loop.time() >= next_bookmark:
                    if self.bookmarks:
                        await self._bookmark(response)
                    next_bookmark = loop.time() + self.context.bookmark_seconds
                continue
            if isinstance(item, Event):
                await self._send(response, item)

    async def _next(self, queue: asyncio.Queue, wait: float) -> object:
        """The next queued item; TimeoutError when none comes within ``wait`` seconds."""
        if not queue.qsize():
            # asyncio.timeout, not wait_for, which on Python 3.11 drops a cancel that
            # arrives with the item: the watch would outlive its client.
            async with asyncio.timeout(wait):
                return await queue.get()
        # A backlog is read without a timeout, which costs a timer per call; other
        # requests still get a turn now and then.
        self._drained += 1
        if self._drained % 256 == 0:
            await asyncio.sleep(0)
        return queue.get_nowait()

    def _backlog(self) -> list[Event]:
        if self.rv in ("", "0"):
            # No resourceVersion: the current state arrives as synthetic ADDED events.
            return [
                Event(self.store.rv, self.rtype, "ADDED", obj, None)
                for obj in self.store.iter(self.rtype, self.namespace)
            ]
        try:
            since = int(self.rv)
        except ValueError as e:
            raise Expired(f"invalid resource version: {self.rv!r}") from e
        return self.store.events_since(since)

    async def _send(self, response: web.StreamResponse, event: Event) -> None:
        kind = self._visible_type(event)
        if kind is None:
            return
        obj = {"apiVersion": self.rtype.api_version, "kind": self.rtype.kind, **event.obj}
        if self.table:
            obj = render_watch_table(
                self.rtype.plural,
                event.obj,
                include_object=self.include_object,
                now=datetime.fromtimestamp(self.context.cluster.clock(), UTC),
                api_version=self.table,
                with_columns=self._first_table,
            )
            self._first_table = False
        await self._write(response, {"type": kind, "object": obj})

    def _visible_type(self, event: Event) -> str | None:
        """The event type this watcher sees; objects leaving a field selector are DELETED."""
        if event.rtype is not self.rtype:
            return None
        if self.namespace is not None and event.obj["metadata"].get("namespace") != self.namespace:
            return None
        if self.match is None:
            return event.type
        now = self.match(event.obj)
        before = event.old is not None and event.type == "MODIFIED" and self.match(event.old)
        if event.type == "MODIFIED" and before != now:
            return "ADDED" if now else "DELETED"
        return event.type if now else None

    async def _bookmark(self, response: web.StreamResponse) -> None:
        obj = {
            "kind": self.rtype.kind,
            "apiVersion": self.rtype.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
        }
        await self._write(response, {"type": "BOOKMARK", "object": obj})

    async def _act(self, request: web.Request, response: web.StreamResponse, fault: Fault) -> bool:
        """Carry out a stream fault; True when the stream is over."""
        if fault.kind == "garbage":
            await response.write(b'{"type":"MODIFIED","object":{"garbage\n')
            return False
        if fault.kind == "gone":
            status = _expired_status(f"too old resource version: {self.rv} ({self.store.rv})")
            await self._write(response, {"type": "ERROR", "object": status})
            return True
        if fault.kind == "flood":
            await response.write(b'{"type":"ADDED","object":{"metadata":{"name":"')
            await flood(response)
            return True
        if fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
        else:  # drop: half an event, then the connection goes away
            await response.write(b'{"type":"MODIFIED","object":{"metadata":{"na')
        _abort(request)
        return True

    @staticmethod
    async def _write(response: web.StreamResponse, event: dict) -> None:
        await response.write(encode(event) + b"\n")


async def flood(response: web.StreamResponse) -> None:
    """Send bytes without a newline until the client gives up (or FLOOD_LIMIT)."""
    chunk = b"a" * (1 << 16)
    for _ in range(FLOOD_LIMIT // len(chunk)):
        await response.write(chunk)


async def flood_body(request: web.Request) -> web.StreamResponse:
    """A chunked JSON body that never ends: a LIST that keeps on coming."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(b'{"kind":"List","items":["')
    with contextlib.suppress(ConnectionResetError):
        await flood(response)
    return response


def _expired_status(message: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.abort()


def _timeout_seconds(raw: str | None) -> float:
    """timeoutSeconds of a WATCH; a bad value is a 400, as on the real server."""
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = int(raw)
    except ValueError as e:
        raise SimError(400, "BadRequest", f"invalid timeoutSeconds: {raw!r}") from e
    if value < 0:
        raise SimError(400, "BadRequest", f"invalid timeoutSeconds: {raw!r}")
    return float(value)
