"""Quota rejections: parse FailedCreate Event messages and count new occurrences.

kube-apiserver refuses an object that would exceed a ResourceQuota with
``pods "x" is forbidden: exceeded quota: <q>, requested: <k=v,..>, used: <..>, limited:
<..>``, and a pod lacking a limit or request that a quota requires with ``failed quota:
<q>: must specify ...``. The owning controller records the refusal as a ``FailedCreate``
Event. client-go's recorder bumps ``count`` when a message repeats and, past 10 distinct
messages per object and reason within 10 minutes, folds the rest into one Event whose
message is ``(combined from similar events): <latest>``. So an occurrence is a count
*delta* of one Event uid, not an Event.

How RejectionCounter counts:

- Startup baseline: the first complete LIST after the process starts only records each
  Event's count and counts nothing. Those Events hold up to an hour (the Event TTL) of
  refusals that an earlier process already counted; replaying them into a fresh
  counter would show as a false spike in rate(). Their later bumps do count, and their
  series start at 0 so that rate() sees the first increase.
- After that, an Event first seen (watch, or a relist after a watch gap) adds its whole
  count: those refusals happened while nobody was looking. A known Event adds
  count - last count; DELETED and end_relist forget what is gone.
- When an Event expired (TTL) and the message repeats, client-go recreates it with its
  old name, firstTimestamp and count + 1 under a new uid. Such an Event (firstTimestamp
  at least one TTL before creationTimestamp) adds 1, not its whole history.
- A combined Event gathers every FailedCreate of its object, quota or not: a delta goes
  to whatever its message says when it is seen.
- Memory: one int per live FailedCreate Event, plus totals per (namespace, quota,
  resource). The team label is the collector's business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from exporter.model.bodies import Event
from exporter.model.compact import mapping_or_empty

COMBINED_PREFIX = "(combined from similar events): "
DEFAULT_EVENT_TTL = 3600.0  # kube-apiserver --event-ttl
FAILED_CREATE = "FailedCreate"
_EXCEEDED_MARK, _FAILED_MARK = "exceeded quota: ", "failed quota: "

# Resource keys may hold "/" and "." (requests.nvidia.com/gpu, count/deployments.apps);
# quantities hold neither commas nor spaces, and "]" would close an aggregated error.
_PAIR = r"[^\s=,]+=[^\s,\]]+"
_MAP = rf"{_PAIR}(?:,{_PAIR})*"
_EXCEEDED = re.compile(
    rf"exceeded quota: (?P<quota>[^\s,]+), requested: (?P<requested>(?:{_MAP})?), "
    rf"used: (?P<used>(?:{_MAP})?), limited: (?P<limited>{_MAP})"
)
_KEY = r"[^\s=,;:]+"
# Current wording "limits.cpu for: app; limits.memory for: app,side"; older clusters
# said "limits.cpu,limits.memory". The first alternative must be tried first.
_MUST_SPECIFY = re.compile(
    rf"failed quota: (?P<quota>[^\s:]+): must specify "
    rf"(?P<missing>{_KEY} for: [^\s;]+(?:; {_KEY} for: [^\s;]+)*|{_KEY}(?:,{_KEY})*)"
)
_MISSING_KEY = re.compile(rf"({_KEY}) for: ")
_FORBIDDEN_OBJECT = re.compile(r'"(?P<name>[^"]*)" is forbidden: ')

Pairs = tuple[tuple[str, str], ...]
TotalKey = tuple[str, str, str]  # (namespace, quota, resource)
Problem = tuple[str, str, str]  # (namespace, name, why) of an Event refused at decode
MAX_COUNT = 2**31 - 1  # Event.count is an int32


class RejectionParseError(ValueError):
    """A message that names a quota refusal but does not have its known shape."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """One quota refusal as its message tells it."""

    quota: str
    resources: tuple[str, ...]  # the keys in `limited`, or the keys that must be specified
    kind: Literal["exceeded", "must-specify"]
    pod: str = ""  # the refused object's name (a Job's, for CronJob refusals); may be ""
    requested: Pairs = ()
    used: Pairs = ()
    limited: Pairs = ()


def parse_rejection(message: str) -> Rejection | None:
    """The quota refusal in a FailedCreate message; None when it is about something else.

    Raises RejectionParseError when the message names a quota refusal it cannot read.
    """
    exceeded, failed = message.find(_EXCEEDED_MARK), message.find(_FAILED_MARK)
    if exceeded < 0 and failed < 0:
        return None
    if exceeded >= 0 and (failed < 0 or exceeded < failed):
        return _parse_exceeded(message, exceeded)
    return _parse_must_specify(message, failed)


def _parse_exceeded(message: str, start: int) -> Rejection:
    match = _EXCEEDED.match(message, start)
    if match is None:
        raise RejectionParseError(f"unreadable quota rejection: {message[:300]!r}")
    limited = _pairs(match["limited"])
    return Rejection(
        quota=match["quota"],
        resources=tuple(key for key, _ in limited),
        kind="exceeded",
        pod=_object_name(message, start),
        requested=_pairs(match["requested"]),
        used=_pairs(match["used"]),
        limited=limited,
    )


def _parse_must_specify(message: str, start: int) -> Rejection:
    match = _MUST_SPECIFY.match(message, start)
    if match is None:
        raise RejectionParseError(f"unreadable quota rejection: {message[:300]!r}")
    missing = match["missing"]
    keys = _MISSING_KEY.findall(missing) if " for: " in missing else missing.split(",")
    return Rejection(
        quota=match["quota"],
        resources=tuple(dict.fromkeys(keys)),
        kind="must-specify",
        pod=_object_name(message, start),
    )


def _pairs(text: str) -> Pairs:
    pairs = (pair.partition("=") for pair in text.split(",")) if text else ()
    return tuple((key, value) for key, _, value in pairs)


def _object_name(message: str, end: int) -> str:
    """The name in the last `"<name>" is forbidden: ` before the quota clause."""
    names = [m["name"] for m in _FORBIDDEN_OBJECT.finditer(message, 0, end)]
    return names[-1] if names else ""


@dataclass(frozen=True, slots=True)
class _Last:
    time: str
    rejection: Rejection


class RejectionCounter:
    """Turns FailedCreate Events from LIST and WATCH into rejection totals (see module)."""

    def __init__(self, *, event_ttl: float = DEFAULT_EVENT_TTL) -> None:
        self._event_ttl = event_ttl
        self._counts: dict[str, int] = {}  # uid -> last count, live FailedCreate Events only
        self._totals: dict[TotalKey, int] = {}
        self._last: dict[tuple[str, str], _Last] = {}
        self._listed: set[str] | None = None  # uids listed since begin_relist
        self._baseline_pending = True  # until the first LIST completes
        self.parse_errors = 0
        self._problems: list[Problem] = []

    def begin_relist(self) -> None:
        """A LIST starts (again, if an earlier attempt failed midway)."""
        self._listed = set()

    def add_listed(self, events: Iterable[Event]) -> None:
        """One page of the LIST: the first LIST sets the baseline, later ones count."""
        if self._listed is None:
            self._listed = set()
        for event in events:
            uid = self._observe(event, baseline=self._baseline_pending)
            if uid is not None:
                self._listed.add(uid)

    def end_relist(self) -> None:
        """The LIST is complete: forget Events it did not return (they expired)."""
        if self._listed is None:
            return  # no page was delivered: nothing says what is gone
        for uid in self._counts.keys() - self._listed:
            del self._counts[uid]
        self._listed, self._baseline_pending = None, False

    def apply(self, event_type: str, event: Event) -> None:
        """One watch event: ADDED or MODIFIED counts what is new, DELETED forgets."""
        if event_type == "DELETED":
            self._counts.pop(_uid(event) if isinstance(event, Mapping) else "", None)
        elif event_type in ("ADDED", "MODIFIED"):
            self._observe(event, baseline=False)

    def totals(self) -> dict[TotalKey, int]:
        """Refusals since start per (namespace, quota, resource); never decreases."""
        return dict(self._totals)

    def last_rejections(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The newest refusal per (namespace, quota), JSON-ready, for the summary."""
        return {key: _as_json(last) for key, last in sorted(self._last.items())}

    def take_problems(self) -> list[Problem]:
        """The Events refused since the last call, as (namespace, name, why)."""
        problems, self._problems = self._problems, []
        return problems

    @property
    def live_events(self) -> int:
        """How many Events are remembered: the bound on this object's memory."""
        return len(self._counts)

    def _observe(self, event: Event, *, baseline: bool) -> str | None:
        """Count an Event's new occurrences; returns its uid when it is tracked."""
        if not isinstance(event, Mapping):
            self._refuse(event, "not an object")
            return None
        uid = _uid(event)
        if event.get("reason") != FAILED_CREATE or not uid:
            return None
        problem = _problem(event)
        if problem:
            self._refuse(event, problem)
            return None
        count, known = _occurrences(event), self._counts.get(uid)
        # A stale copy (lower count) must not lower the mark, or a later bump counts twice.
        self._counts[uid] = max(count, known or 0)
        if known is None:
            new = 0 if baseline else 1 if self._recreated(event) else count
        else:
            new = max(0, count - known)
        if new or known is None:
            self._record(event, new)
        return uid

    def _recreated(self, event: Event) -> bool:
        """Whether client-go recreated an expired Event (its count holds old refusals)."""
        first = _timestamp(event.get("firstTimestamp"))
        created = _timestamp(mapping_or_empty(event.get("metadata")).get("creationTimestamp"))
        if first is None or created is None:
            return False
        try:
            return (created - first).total_seconds() >= self._event_ttl
        except (TypeError, OverflowError):  # one naive, one aware; or years apart
            return False

    def _refuse(self, event: Event, why: str) -> None:
        self.parse_errors += 1
        name = ""
        if isinstance(event, Mapping):
            name = str(mapping_or_empty(event.get("metadata")).get("name") or "")
        namespace = event_namespace(event) if isinstance(event, Mapping) else ""
        self._problems.append((namespace, name, why))

    def _record(self, event: Event, new: int) -> None:
        try:
            rejection = parse_rejection(str(event.get("message") or ""))
        except RejectionParseError as e:
            self._refuse(event, str(e)[:200])
            return
        if rejection is None:
            return
        namespace = event_namespace(event)
        for resource in rejection.resources:
            key = (namespace, rejection.quota, resource)
            self._totals[key] = self._totals.get(key, 0) + new
        self._remember(namespace, rejection, _event_time(event))

    def _remember(self, namespace: str, rejection: Rejection, time: str) -> None:
        # A relist replays Events in name order, not time order: keep the newest.
        key = (namespace, rejection.quota)
        previous = self._last.get(key)
        if previous is None or not _earlier(time, previous.time):
            self._last[key] = _Last(time, rejection)


def _uid(event: Event) -> str:
    return str(mapping_or_empty(event.get("metadata")).get("uid") or "")


def event_namespace(event: Event) -> str:
    """The namespace an Event's totals are kept under: its own, else its object's."""
    namespace = mapping_or_empty(event.get("metadata")).get("namespace")
    return str(namespace or mapping_or_empty(event.get("involvedObject")).get("namespace") or "")


def _problem(event: Event) -> str | None:
    """Why a FailedCreate Event cannot be counted (the decode boundary), or None."""
    series = mapping_or_empty(event.get("series"))
    for field, value in (("count", event.get("count")), ("series.count", series.get("count"))):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT
        ):
            return f"{field} {str(value)[:32]!r} is not an int32 count"
    message = event.get("message")
    if message is not None and not isinstance(message, str):
        return "message is not a string"
    return None


def _occurrences(event: Event) -> int:
    """core/v1 `count`; Events written through events.k8s.io/v1 carry series.count."""
    for value in (event.get("count"), mapping_or_empty(event.get("series")).get("count")):
        if isinstance(value, int) and value > 0:
            return value
    return 1


def _event_time(event: Event) -> str:
    series = mapping_or_empty(event.get("series"))
    for value in (
        event.get("lastTimestamp"),
        series.get("lastObservedTime"),
        event.get("eventTime"),
    ):
        if value:
            return str(value)
    return str(mapping_or_empty(event.get("metadata")).get("creationTimestamp") or "")


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _earlier(time: str, than: str) -> bool:
    """Whether time is strictly before than; unreadable times never are."""
    mine, theirs = _timestamp(time), _timestamp(than)
    if mine is None or theirs is None:
        return False
    try:
        return mine < theirs
    except TypeError:  # one naive, one aware: not comparable, so not "earlier"
        return False


def _as_json(last: _Last) -> dict[str, Any]:
    rejection = last.rejection
    return {
        "time": last.time,
        "pod": rejection.pod,
        "kind": rejection.kind,
        "resources": list(rejection.resources),
        "requested": dict(rejection.requested),
        "used": dict(rejection.used),
        "limited": dict(rejection.limited),
    }
