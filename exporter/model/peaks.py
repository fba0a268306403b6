"""Daily peaks: the history quota right-sizing reads, gathered from the snapshots.

Per UTC day, for every quota key (namespace, quota, resource): the peak of status.used,
the last used and hard, and the refusals counted that day; and per namespace and
resource: the peak of effective requests and the peak of measured usage. Amounts are
in base units (cores, bytes, counts), as floats.

``DailyPeaks.observe`` is called on the accounting tick with the latest snapshot. It
reads only the namespaces whose view changed since the last call (each view carries a
version) and the usage table when a new sample arrived, so a tick costs O(changed).
The first observation of a day reads everything again: every key present that day gets
a row, so a day's rows say which keys existed on it.

Writing follows the integrator's two steps: ``pending()`` gives the rows changed since
the last commit, the ledger stores them (peaks with MAX, refusals added), and
``committed(batch)`` forgets what was stored. A write that fails leaves everything
pending, and a row changed between the two steps stays pending: nothing is lost and
no refusal is stored twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from exporter.model.snapshot import SpaceView, StateSnapshot
from exporter.model.usage import UsageTable

NANOS_PER_UNIT = 1e9
STEP = 500  # namespaces an observation reads between pauses (about 25 ms)

QuotaKey = tuple[str, str, str]  # (namespace, quota, resource key)
DemandKey = tuple[str, str]  # (namespace, resource)
RowKey = tuple[str, str, tuple[str, ...]]  # (day, "quota" or "demand", its key)


# NamedTuples, in the order of their table's columns: a flush hands them to SQLite as
# they are, and 40,000 of them (5,000 namespaces) are built in about 20 ms.
class QuotaDay(NamedTuple):
    """One quota key on one UTC day."""

    day: str  # YYYY-MM-DD
    namespace: str
    team: str
    quota: str
    resource: str  # the quota's key: requests.cpu, pods, count/services, ...
    used_peak: float
    used: float  # the last status.used seen that day
    hard: float  # the last status.hard seen that day
    refusals: int  # refused objects counted that day (in pending rows: not yet stored)


class DemandDay(NamedTuple):
    """One namespace x resource on one UTC day."""

    day: str
    namespace: str
    team: str
    resource: str  # cpu, memory, storage, nvidia.com/gpu, ...
    requests_peak: float  # effective requests of non-terminal pods (claims for storage)
    usage_peak: float | None  # None while no usage sample covered the namespace


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """The rows a flush stores; ``keys`` and ``changes`` (per row, quotas then demand)
    let ``committed`` tell which rows changed after they were taken."""

    quotas: tuple[QuotaDay, ...] = ()
    demand: tuple[DemandDay, ...] = ()
    changes: tuple[int, ...] = ()
    keys: tuple[RowKey, ...] = ()

    @staticmethod
    def join(parts: Sequence[HistoryBatch]) -> HistoryBatch:
        """One batch of ``parts`` (from ``DailyPeaks.pending_steps``), quotas then demand."""
        quota_keys = [key for p in parts for key in p.keys[: len(p.quotas)]]
        demand_keys = [key for p in parts for key in p.keys[len(p.quotas) :]]
        quota_changes = [change for p in parts for change in p.changes[: len(p.quotas)]]
        demand_changes = [change for p in parts for change in p.changes[len(p.quotas) :]]
        return HistoryBatch(
            tuple(row for p in parts for row in p.quotas),
            tuple(row for p in parts for row in p.demand),
            (*quota_changes, *demand_changes),
            (*quota_keys, *demand_keys),
        )


class _Row:
    """One row being gathered: peaks, last values and refusals not yet stored."""

    __slots__ = ("change", "hard", "refusals", "requests_peak", "team", "usage_peak", "used",
                 "used_peak")  # fmt: skip

    def __init__(self, team: str) -> None:
        self.team = team
        self.used_peak = self.used = self.hard = self.requests_peak = 0.0
        self.usage_peak: float | None = None
        self.refusals = 0
        self.change = 0  # the tracker's change number when last touched


class DailyPeaks:
    """The day's peaks, kept current by ``observe`` and drained by the ledger."""

    def __init__(self) -> None:
        self._today = ""
        self._quotas: dict[QuotaKey, _Row] = {}  # today's rows
        self._demand: dict[DemandKey, _Row] = {}
        self._versions: dict[str, int] = {}  # namespace -> version observed today
        self._usage_seen: float | None = None  # timestamp of the last usage sample observed
        self._rejections: dict[QuotaKey, int] = {}  # last refusal total seen
        self._change = 0
        self._dirty: dict[RowKey, _Row] = {}  # rows of any day not stored since changed

    def observe(self, snapshot: StateSnapshot, *, usage: UsageTable, day: str) -> None:
        """Fold the snapshot, and the usage sample when it is new, into ``day``
        (YYYY-MM-DD of now)."""
        for _ in self.observe_steps(snapshot, usage=usage, day=day):
            pass

    def observe_steps(
        self, snapshot: StateSnapshot, *, usage: UsageTable, day: str, step: int = STEP
    ) -> Iterator[None]:
        """``observe``, pausing (a yield) after every ``step`` namespaces read: the first
        observation of a day reads them all (about 0.1-0.25 s at 5,000 namespaces)."""
        if day != self._today:  # a new day reads everything again
            self._today, self._quotas, self._demand = day, {}, {}
            self._versions, self._usage_seen = {}, None
        read = 0
        for view in snapshot.spaces:
            if self._versions.get(view.namespace) != view.version:
                self._versions[view.namespace] = view.version
                self._observe_space(view)
                read += 1
                if read % step == 0:
                    yield
        if usage.sample_time is not None and usage.sample_time != self._usage_seen:
            self._usage_seen = usage.sample_time
            teams = {view.namespace: view.team for view in snapshot.spaces}
            for namespace, (nanocores, memory) in usage.namespace_totals():
                if namespace in teams:
                    self._usage(namespace, teams[namespace], "cpu", nanocores / NANOS_PER_UNIT)
                    self._usage(namespace, teams[namespace], "memory", float(memory))

    def pending(self) -> HistoryBatch:
        """Every row changed since it was last stored, with the refusals not yet stored."""
        return HistoryBatch.join(list(self.pending_steps()))

    def pending_steps(self, *, step: int = 2 * STEP) -> Iterator[HistoryBatch]:
        """``pending()`` as parts of ``step`` rows (all taken when the call starts), for
        ``HistoryBatch.join``: a day's first flush has a row for every key."""
        rows = list(self._dirty.items())
        for start in range(0, len(rows), step):
            yield self._batch(rows[start : start + step])

    @staticmethod
    def _batch(rows: Sequence[tuple[RowKey, _Row]]) -> HistoryBatch:
        quotas: list[QuotaDay] = []
        demand: list[DemandDay] = []
        quota_rows: list[tuple[RowKey, int]] = []  # (key, change number) of each row
        demand_rows: list[tuple[RowKey, int]] = []
        for row_key, row in rows:
            day, kind, key = row_key
            if kind == "quota":
                namespace, quota, resource = key
                values = (row.used_peak, row.used, row.hard, row.refusals)
                quotas.append(QuotaDay(day, namespace, row.team, quota, resource, *values))
                quota_rows.append((row_key, row.change))
            else:
                namespace, resource = key
                demand.append(DemandDay(day, namespace, row.team, resource,
                                        row.requests_peak, row.usage_peak))  # fmt: skip
                demand_rows.append((row_key, row.change))
        taken = quota_rows + demand_rows
        changes, keys = tuple(c for _, c in taken), tuple(k for k, _ in taken)
        return HistoryBatch(tuple(quotas), tuple(demand), changes, keys)

    def committed(self, batch: HistoryBatch) -> None:
        """``batch`` is stored: forget its refusals, and the rows unchanged since."""
        for i, (key, change) in enumerate(zip(batch.keys, batch.changes, strict=True)):
            row = self._dirty.get(key)
            if row is not None:
                if i < len(batch.quotas):  # a quota row: its stored refusals
                    row.refusals -= batch.quotas[i].refusals
                if row.change == change:
                    del self._dirty[key]

    # -- folding -------------------------------------------------------------------------

    def _observe_space(self, view: SpaceView) -> None:
        refused = {(quota, resource): total for quota, resource, total in view.rejections}
        for row in view.quotas:
            quota, used_by_key = row.quota, dict(row.quota.used)
            for resource, hard in quota.hard:
                used = used_by_key.get(resource)
                if used is None:
                    continue  # no status yet: usage unknown, not 0
                key = (view.namespace, quota.name, resource)
                refusals = self._new_refusals(key, refused.get((quota.name, resource), 0))
                self._quota(key, view.team, used / NANOS_PER_UNIT, hard / NANOS_PER_UNIT, refusals)
        if view.row is not None:
            for resource, nanos in view.row.requests:
                self._requests(view.namespace, view.team, resource, nanos / NANOS_PER_UNIT)

    def _new_refusals(self, key: QuotaKey, total: int) -> int:
        last = self._rejections.get(key, 0)
        self._rejections[key] = total
        return total - last if total >= last else total  # a lower total: counting restarted

    def _quota(self, key: QuotaKey, team: str, used: float, hard: float, refusals: int) -> None:
        row = self._quotas.get(key)
        if row is None:
            row = self._quotas[key] = _Row(team)
            row.used_peak = used
        elif (row.used, row.hard, row.team, refusals) == (used, hard, team, 0):
            return
        row.used_peak = max(row.used_peak, used)
        row.used, row.hard, row.team = used, hard, team
        row.refusals += refusals
        self._touch("quota", key, row)

    def _requests(self, namespace: str, team: str, resource: str, amount: float) -> None:
        row = self._demand_row(namespace, team, resource)
        if row.change and amount <= row.requests_peak and row.team == team:
            return
        row.requests_peak, row.team = max(row.requests_peak, amount), team
        self._touch("demand", (namespace, resource), row)

    def _usage(self, namespace: str, team: str, resource: str, amount: float) -> None:
        row = self._demand_row(namespace, team, resource)
        if row.change and row.usage_peak is not None and amount <= row.usage_peak:
            return
        row.usage_peak = amount if row.usage_peak is None else max(row.usage_peak, amount)
        self._touch("demand", (namespace, resource), row)

    def _demand_row(self, namespace: str, team: str, resource: str) -> _Row:
        row = self._demand.get((namespace, resource))
        if row is None:
            row = self._demand[(namespace, resource)] = _Row(team)
        return row

    def _touch(self, kind: str, key: tuple[str, ...], row: _Row) -> None:
        self._change += 1
        row.change = self._change
        self._dirty[(self._today, kind, key)] = row
