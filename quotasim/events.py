"""The Event recorder, with client-go's correlation: repeats of a message bump `count`,
and past ten distinct messages for one object and reason they are combined."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from quotasim.kinds import EVENT
from quotasim.store import Store
from quotasim.timestamps import api_time

MAX_SIMILAR_EVENTS = 10  # client-go's EventCorrelator combines from this many messages on
AGGREGATE_WINDOW_SECONDS = 600
COMBINED_PREFIX = "(combined from similar events): "
EVENT_TTL_SECONDS = 3600  # kube-apiserver's default --event-ttl


@dataclass
class _Similar:
    """Distinct messages seen for one (object, reason) within the window."""

    # A dict, not a set: which message is dropped must not depend on hash seeds.
    messages: dict[str, None] = field(default_factory=dict)
    last_seen: float = 0.0
    combined_event: str | None = None


@dataclass(frozen=True, slots=True)
class _Occurrence:
    """One thing recorded: what happened to which object, and which component reports it."""

    involved: dict
    kind: str
    reason: str
    message: str
    component: str

    def aggregate_key(self) -> tuple:
        """What client-go's aggregator groups by: source, object and reason, not message."""
        involved = self.involved
        return (
            self.component,
            involved["kind"],
            involved["namespace"],
            involved["name"],
            involved.get("uid", ""),
            self.kind,
            self.reason,
        )

    def event(self, *, name: str, uid: str, count: int, first: str, now: str) -> dict:
        """A new core/v1 Event for this occurrence."""
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": self.involved["namespace"],
                "uid": uid,
                "creationTimestamp": now,
            },
            "involvedObject": dict(self.involved),
            "reason": self.reason,
            "message": self.message,
            "source": {"component": self.component},
            "firstTimestamp": first,
            "lastTimestamp": now,
            "count": count,
            "type": self.kind,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": "",
        }


class EventRecorder:
    """Records Events as client-go's recorder does: dedupe by message, combine past 10."""

    def __init__(self, *, store: Store, clock: Callable[[], float], rng: random.Random) -> None:
        self.store, self.clock, self.rng = store, clock, rng
        self._similar: dict[tuple, _Similar] = {}
        self._by_message: dict[tuple, str] = {}
        # name -> (count, firstTimestamp): an expired Event that repeats is recreated
        # under its old name with count + 1, as client-go's recorder does.
        self._last: dict[str, tuple[int, str]] = {}
        self._seq = 0

    def expire(self, *, ttl: float = EVENT_TTL_SECONDS) -> int:
        """Delete Events last seen more than `ttl` seconds ago (the API server's --event-ttl)."""

        cutoff = api_time(self.clock() - ttl)
        stale = [e for e in self.store.iter(EVENT) if e.get("lastTimestamp", "") < cutoff]
        for event in stale:
            self.store.remove(EVENT, event["metadata"]["namespace"], event["metadata"]["name"])
        return len(stale)

    def record(
        self,
        involved: dict,
        *,
        kind: str,
        reason: str,
        message: str,
        component: str = "replicaset-controller",
    ) -> dict:
        """Record one occurrence; returns the Event object as stored."""
        occurrence = _Occurrence(involved, kind, reason, message, component)
        agg_key = occurrence.aggregate_key()
        now = self.clock()
        similar = self._similar.setdefault(agg_key, _Similar())
        if now - similar.last_seen > AGGREGATE_WINDOW_SECONDS:
            similar.messages.clear()  # the combined Event itself outlives the window
        similar.last_seen = now
        similar.messages[message] = None
        if len(similar.messages) < MAX_SIMILAR_EVENTS:
            key = (agg_key, message)
            event = self._bump_or_create(self._by_message.get(key), occurrence)
            self._by_message[key] = event["metadata"]["name"]
            return event
        del similar.messages[next(iter(similar.messages))]
        combined = replace(occurrence, message=COMBINED_PREFIX + message)
        event = self._bump_or_create(similar.combined_event, combined)
        similar.combined_event = event["metadata"]["name"]
        return event

    def _bump_or_create(self, name: str | None, occurrence: _Occurrence) -> dict:

        ns, now = occurrence.involved["namespace"], api_time(self.clock())
        existing = self.store.get(EVENT, ns, name) if name else None
        if existing is not None:
            return self._bump(existing, occurrence.message, now)
        self._seq += 1
        stamp = int(self.clock() * 1e9) + self._seq
        count, first = self._last.get(name, (0, now)) if name else (0, now)
        name = name if name and count else f"{occurrence.involved['name']}.{stamp:x}"
        uid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        event = occurrence.event(name=name, uid=uid, count=count + 1, first=first, now=now)
        self._last[name] = (count + 1, first)
        return self.store.put(EVENT, event)

    def _bump(self, existing: dict, message: str, now: str) -> dict:

        stored = self.store.put(
            EVENT,
            {
                **existing,
                "metadata": dict(existing["metadata"]),
                "count": existing.get("count", 1) + 1,
                "message": message,
                "lastTimestamp": now,
            },
        )
        self._last[stored["metadata"]["name"]] = (stored["count"], stored["firstTimestamp"])
        return stored
