"""Exporter health as plain data: what the informers did, for /readyz and the metrics layer.

The informers (exporter.kube) write here and the collectors (exporter.metrics) read
here, so neither edge has to import the other. Everything is plain counters keyed
by strings; no I/O, no clocks: callers pass timestamps in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

RELIST_REASONS = ("initial", "gone", "error")


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """One object (or field of one) refused at the decode boundary, for the log."""

    kind: str
    namespace: str
    name: str
    reason: str


@dataclass
class KindHealth:
    """The counters of one watched kind (e.g. "pods")."""

    synced: bool = False
    events_total: Counter[str] = field(default_factory=Counter)  # by event type
    relists_total: Counter[str] = field(default_factory=Counter)  # by reason
    # Unix seconds of the last watch event, bookmarks included: they prove the stream lives.
    last_event_timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """An immutable copy of InformerHealth, for a collector to read without races."""

    synced: dict[str, bool]
    events_total: dict[tuple[str, str], int]  # (kind, type)
    relists_total: dict[tuple[str, str], int]  # (kind, reason)
    last_event_timestamp: dict[str, float]
    api_errors_total: dict[tuple[str, str], int]  # (kind, code)
    parse_errors_total: dict[str, int]
    restarts_total: dict[str, int]  # by supervised task name
    failing_tasks: tuple[str, ...] = ()  # failed and not yet running healthily again


@dataclass
class InformerHealth:
    """Mutable health of every informer; one instance per process, passed in."""

    kinds: dict[str, KindHealth] = field(default_factory=dict)
    api_errors_total: Counter[tuple[str, str]] = field(default_factory=Counter)
    restarts_total: Counter[str] = field(default_factory=Counter)
    # Kept apart from `kinds`: counting a parse error (say of polled podmetrics)
    # must not make a kind appear that /readyz would then wait for.
    parse_errors_total: Counter[str] = field(default_factory=Counter)
    # Supervised tasks that failed and have not yet run healthily since: task -> error.
    failing: dict[str, str] = field(default_factory=dict)
    tasks: set[str] = field(default_factory=set)  # supervised task names seen
    # Told of every refused object, e.g. to log it; the wiring sets it (app.py).
    on_parse_error: Callable[[ParseProblem], None] | None = None

    def register(self, kinds: Iterable[str]) -> None:
        """Declare kinds up front, so /readyz knows what it is waiting for."""
        for kind in kinds:
            self.kind(kind)

    def kind(self, kind: str) -> KindHealth:
        """The counters of one kind, created on first use."""
        found = self.kinds.get(kind)
        if found is None:
            found = self.kinds[kind] = KindHealth()
        return found

    def record_event(self, kind: str, event_type: str, *, timestamp: float) -> None:
        """Count one watch event (ADDED, MODIFIED, DELETED, BOOKMARK) at a Unix time."""
        health = self.kind(kind)
        health.events_total[event_type] += 1
        health.last_event_timestamp = timestamp

    def record_relist(self, kind: str, reason: str) -> None:
        """Count the start of a LIST: initial, gone (after 410) or error."""
        if reason not in RELIST_REASONS:
            raise ValueError(f"unknown relist reason {reason!r}")
        self.kind(kind).relists_total[reason] += 1

    def mark_synced(self, kind: str) -> None:
        """A kind finished a full LIST; it stays synced through later relists."""
        self.kind(kind).synced = True

    def record_api_error(self, kind: str, code: str) -> None:
        """Count one failed API call: an HTTP status, or "connection" / "stream"."""
        self.api_errors_total[(kind, code)] += 1

    def record_parse_error(
        self, kind: str, *, namespace: str = "", name: str = "", reason: str = ""
    ) -> None:
        """Count one object (or field of one) that could not be decoded, and tell the
        listener which one and why."""
        self.parse_errors_total[kind] += 1
        if self.on_parse_error is not None:
            self.on_parse_error(ParseProblem(kind, namespace, name, reason))

    def register_task(self, name: str) -> None:
        """Declare a supervised task, so its failure counter shows 0 from the start."""
        self.tasks.add(name)

    def record_restart(self, name: str, *, error: str = "") -> None:
        """Count one failure (and restart) of a background task; it is failing until
        ``record_recovered``."""
        self.restarts_total[name] += 1
        self.failing[name] = error

    def record_recovered(self, name: str) -> None:
        """A task that failed has run healthily again."""
        self.failing.pop(name, None)

    def failing_tasks(self) -> list[str]:
        """Supervised tasks that failed and have not run healthily since, sorted."""
        return sorted(self.failing)

    def unsynced_kinds(self) -> list[str]:
        """Kinds that have not finished their initial LIST yet, sorted."""
        return sorted(k for k, h in self.kinds.items() if not h.synced)

    def snapshot(self) -> HealthSnapshot:
        """Copy everything into plain dicts keyed the way the metrics are labelled."""
        kinds = self.kinds.items()
        return HealthSnapshot(
            synced={k: h.synced for k, h in kinds},
            events_total={(k, t): n for k, h in kinds for t, n in h.events_total.items()},
            relists_total={(k, r): n for k, h in kinds for r, n in h.relists_total.items()},
            last_event_timestamp={
                k: h.last_event_timestamp for k, h in kinds if h.last_event_timestamp is not None
            },
            api_errors_total=dict(self.api_errors_total),
            # Watched kinds show 0 from the start; other kinds appear on their first error.
            parse_errors_total={k: 0 for k in self.kinds} | dict(self.parse_errors_total),
            restarts_total=dict.fromkeys(sorted(self.tasks), 0) | dict(self.restarts_total),
            failing_tasks=tuple(self.failing_tasks()),
        )
