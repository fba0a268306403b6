"""Object storage of the simulated API: one global resourceVersion, a bounded
event history for WATCH, and consistent snapshots for paginated LIST.

Stored objects are never mutated in place: every write stores a new dict, so a
LIST snapshot or a queued watch event can hold references safely.
"""

from __future__ import annotations

import asyncio
import base64
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import orjson

from quotasim.resources import ResourceType

Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped kinds
Filter = Callable[[Mapping], bool]


class Expired(Exception):
    """A resourceVersion or continue token older than the kept history (HTTP 410)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change: its resourceVersion, type, the object after and (for MODIFIED) before."""

    rv: int
    rtype: ResourceType
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict
    old: dict | None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a LIST."""

    items: list[dict]
    resource_version: int
    continue_token: str
    remaining: int | None


class Store:
    """All objects of the simulated cluster, keyed by resource type, namespace and name."""

    def __init__(self, *, history_size: int = 10_000, first_rv: int = 1000) -> None:
        self.rv = first_rv
        self.history: deque[Event] = deque(maxlen=history_size)
        self.compacted_rv = first_rv  # events at or below this rv are gone from history
        # Each open WATCH: its queue (Events, and signals from broadcast) and the type it
        # watches (it is sent only those).
        self.watchers: dict[asyncio.Queue[object], ResourceType] = {}
        self._objects: dict[ResourceType, dict[str, dict[str, dict]]] = {}
        self._snapshots: OrderedDict[str, list[dict]] = OrderedDict()

    # -- reads -----------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict | None:
        """The stored object or None."""
        return self._objects.get(rtype, {}).get(namespace, {}).get(name)

    def iter(self, rtype: ResourceType, namespace: str | None = None) -> Iterator[dict]:
        """Objects of a type (optionally one namespace) in key order."""
        spaces = self._objects.get(rtype, {})
        names = [namespace] if namespace is not None else sorted(spaces)
        for ns in names:
            objs = spaces.get(ns, {})
            for name in sorted(objs):
                yield objs[name]

    def iter_namespaces(self, rtype: ResourceType) -> Iterator[list[dict]]:
        """Objects of a type, one unordered list per namespace (cheap: no sorting)."""
        for objs in self._objects.get(rtype, {}).values():
            yield list(objs.values())

    def count(self, rtype: ResourceType, namespace: str | None = None) -> int:
        """How many objects of a type exist (optionally in one namespace)."""
        spaces = self._objects.get(rtype, {})
        if namespace is not None:
            return len(spaces.get(namespace, {}))
        return sum(len(objs) for objs in spaces.values())

    def namespace_items(self, rtype: ResourceType, namespace: str) -> list[dict]:
        """Objects of a type in one namespace, unordered (cheap: for controllers)."""
        return list(self._objects.get(rtype, {}).get(namespace, {}).values())

    # -- writes ----------------------------------------------------------------

    def put(self, rtype: ResourceType, obj: dict, *, notify: bool = True) -> dict:
        """Store obj under a new resourceVersion, recording ADDED or MODIFIED."""
        # Kept without apiVersion/kind: LIST items omit them, as the real server's do.
        obj.pop("apiVersion", None)
        obj.pop("kind", None)
        meta = obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        old = self.get(rtype, ns, name)
        self.rv += 1
        meta["resourceVersion"] = str(self.rv)
        self._objects.setdefault(rtype, {}).setdefault(ns, {})[name] = obj
        self._record(Event(self.rv, rtype, "MODIFIED" if old else "ADDED", obj, old), notify)
        return obj

    def remove(self, rtype: ResourceType, namespace: str, name: str) -> dict | None:
        """Delete an object, recording DELETED with a fresh resourceVersion."""
        spaces = self._objects.get(rtype, {})
        old = spaces.get(namespace, {}).pop(name, None)
        if old is None:
            return None
        if not spaces[namespace]:
            del spaces[namespace]
        self.rv += 1
        gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.rv)}}
        self._record(Event(self.rv, rtype, "DELETED", gone, old), True)
        return gone

    def broadcast(self, signal: object) -> None:
        """Wake every watch stream with a signal (a fault to act on)."""
        for queue in self.watchers:
            queue.put_nowait(signal)

    def _record(self, event: Event, notify: bool) -> None:
        if len(self.history) == self.history.maxlen:
            self.compacted_rv = self.history[0].rv
        self.history.append(event)
        if notify:
            for queue, rtype in self.watchers.items():
                if rtype is event.rtype:
                    queue.put_nowait(event)

    # -- watch -----------------------------------------------------------------

    def events_since(self, rv: int) -> list[Event]:
        """Every recorded event after rv; Expired when history no longer reaches back."""
        if rv < self.compacted_rv:
            raise Expired(f"too old resource version: {rv} ({self.compacted_rv + 1})")
        if not self.history or rv >= self.history[-1].rv:
            return []
        start = max(0, len(self.history) - (self.history[-1].rv - rv))
        return [e for e in list(self.history)[start:] if e.rv > rv]

    # -- paginated list ----------------------------------------------------------

    def list_page(
        self,
        rtype: ResourceType,
        *,
        namespace: str | None,
        match: Filter | None,
        limit: int,
        continue_token: str | None,
        selector_key: str,
    ) -> Page:
        """One page of a consistent LIST; continue tokens expire with the history."""
        if continue_token:
            list_rv, snap_id, start = _decode_token(continue_token)
            items = self._snapshots.get(snap_id)
            if items is None or list_rv < self.compacted_rv:
                raise Expired(_CONTINUE_EXPIRED)
        else:
            list_rv, start = self.rv, 0
            items = [o for o in self.iter(rtype, namespace) if match is None or match(o)]
            snap_id = f"{rtype.group}/{rtype.plural}/{namespace}/{selector_key}/{list_rv}"
            if limit and len(items) > limit:
                self._keep_snapshot(snap_id, items)
        end = start + limit if limit else len(items)
        token = _encode_token(list_rv, snap_id, end) if end < len(items) else ""
        remaining = len(items) - end if token and selector_key == "" else None
        return Page(items[start:end], list_rv, token, remaining)

    def _keep_snapshot(self, snap_id: str, items: list[dict]) -> None:
        self._snapshots[snap_id] = items
        while len(self._snapshots) > 32:
            self._snapshots.popitem(last=False)

    def expire_continue_tokens(self) -> None:
        """Forget every LIST snapshot, so every outstanding continue token gets 410."""
        self._snapshots.clear()


_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, modified, "
    "or deleted between the time the first chunk was returned and now may show up in the list."
)


def _encode_token(rv: int, snap_id: str, start: int) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "id": snap_id, "start": start})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        return int(data["rv"]), str(data["id"]), int(data["start"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"continue key is not valid: {e}") from e
