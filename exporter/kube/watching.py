"""One WATCH request: (type, object) events from a resourceVersion until the server
closes the stream, with the last resourceVersion seen (bookmarks included) kept."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import orjson

from exporter.errors import StreamError
from exporter.kube.client import KubeClient
from exporter.kube.resources import Resource
from exporter.model.bodies import WatchedObject, is_object

EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})


class Watch:
    """A single WATCH call; after it ends (cleanly or not) `resource_version` says where
    the next one should resume."""

    def __init__(
        self,
        client: KubeClient,
        resource: Resource,
        *,
        resource_version: str,
        timeout_seconds: int,
        inactivity_timeout: float,
    ) -> None:
        self.client = client
        self.resource = resource
        self.resource_version = resource_version
        self.timeout_seconds = timeout_seconds
        self.inactivity_timeout = inactivity_timeout

    def params(self) -> dict[str, str]:
        """The query of the WATCH request."""
        return {
            **self.resource.params,
            "watch": "true",
            "allowWatchBookmarks": "true",
            "resourceVersion": self.resource_version,
            "timeoutSeconds": str(self.timeout_seconds),
        }

    async def events(self) -> AsyncGenerator[tuple[str, WatchedObject], None]:
        """Yield (type, object) for ADDED, MODIFIED, DELETED and BOOKMARK events.

        Raises Gone on an in-stream 410 ERROR (as for HTTP 410), the mapped error for any
        other ERROR event, and StreamError on a line that is not a JSON watch event."""
        kind = self.resource.kind
        lines = self.client.stream_lines(
            self.resource.path, self.params(), inactivity_timeout=self.inactivity_timeout,
            kind=kind,
        )  # fmt: skip
        async with aclosing(lines):
            async for line in lines:
                event_type, obj = self._decode(line)
                if event_type == "ERROR":
                    raise self.client.status_error(obj, kind=kind)
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if rv:
                    self.resource_version = str(rv)
                yield event_type, obj

    def _decode(self, line: bytes) -> tuple[str, WatchedObject]:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise self._bad_line(line, str(e)) from e
        if not isinstance(event, dict):
            raise self._bad_line(line, "not an object")
        event_type, obj = event.get("type"), event.get("object")
        if not is_object(obj) or (event_type not in EVENT_TYPES and event_type != "ERROR"):
            raise self._bad_line(line, f"unexpected event type {event_type!r}")
        return event_type, obj

    def _bad_line(self, line: bytes, why: str) -> StreamError:
        preview = line[:80].decode("utf-8", "replace")
        message = f"WATCH {self.resource.path}: bad line ({why}): {preview!r}"
        return self.client.fail(self.resource.kind, StreamError(message, reason="InvalidEvent"))
