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

from dataclasses import dataclass

from exporter.model.snapshot import SpaceView, StateSnapshot
from exporter.model.usage import UsageTable

NANOS_PER_UNIT = 1e9

QuotaKey = tuple[str, str, str]  # (namespace, quota, resource key)
DemandKey = tuple[str, str]  # (namespace, resource)


@dataclass(frozen=True, slots=True)
class QuotaDay:
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


@dataclass(frozen=True, slots=True)
class DemandDay:
    """One namespace x resource on one UTC day."""

    day: str
    namespace: str
    team: str
    resource: str  # cpu, memory, storage, nvidia.com/gpu, ...
    requests_peak: float  # effective requests of non-terminal pods (claims for storage)
    usage_peak: float | None  # None while no usage sample covered the namespace


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """The rows a flush stores, and the change numbers ``committed`` checks them by."""

    quotas: tuple[QuotaDay, ...] = ()
    demand: tuple[DemandDay, ...] = ()
    changes: tuple[int, ...] = ()  # per row, quotas then demand


@dataclass(slots=True)
class _Row:
    values: dict[str, float]  # the peaks and last values
    team: str
    refusals: int = 0  # counted, not yet stored
    change: int = 0  # the tracker's change number when last touched


RowKey = tuple[str, str, tuple[str, ...]]  # (day, "quota" or "demand", its key)


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
        if day != self._today:  # a new day reads everything again
            self._today, self._quotas, self._demand = day, {}, {}
            self._versions, self._usage_seen = {}, None
        for view in snapshot.spaces:
            if self._versions.get(view.namespace) != view.version:
                self._versions[view.namespace] = view.version
                self._observe_space(view)
        if usage.sample_time is not None and usage.sample_time != self._usage_seen:
            self._usage_seen = usage.sample_time
            teams = {view.namespace: view.team for view in snapshot.spaces}
            for namespace, amounts in usage.namespace_usage().items():
                if namespace in teams:
                    cores, memory = amounts["cpu"] / NANOS_PER_UNIT, float(amounts["memory"])
                    self._peak(namespace, teams[namespace], "cpu", "usage_peak", cores)
                    self._peak(namespace, teams[namespace], "memory", "usage_peak", memory)

    def pending(self) -> HistoryBatch:
        """Every row changed since it was last stored, with the refusals not yet stored."""
        quotas: list[QuotaDay] = []
        demand: list[DemandDay] = []
        quota_changes: list[int] = []
        demand_changes: list[int] = []
        for (day, kind, key), row in self._dirty.items():
            values = row.values
            if kind == "quota":
                namespace, quota, resource = key
                quotas.append(QuotaDay(
                    day, namespace, row.team, quota, resource,
                    values["used_peak"], values["used"], values["hard"], row.refusals,
                ))  # fmt: skip
                quota_changes.append(row.change)
            else:
                namespace, resource = key
                demand.append(DemandDay(
                    day, namespace, row.team, resource,
                    values.get("requests_peak", 0.0), values.get("usage_peak"),
                ))  # fmt: skip
                demand_changes.append(row.change)
        return HistoryBatch(tuple(quotas), tuple(demand), (*quota_changes, *demand_changes))

    def committed(self, batch: HistoryBatch) -> None:
        """``batch`` is stored: forget its refusals, and the rows unchanged since."""
        keys: list[tuple[RowKey, int]] = [
            ((r.day, "quota", (r.namespace, r.quota, r.resource)), r.refusals) for r in batch.quotas
        ]
        keys += [((r.day, "demand", (r.namespace, r.resource)), 0) for r in batch.demand]
        for (key, refusals), change in zip(keys, batch.changes, strict=True):
            row = self._dirty.get(key)
            if row is not None:
                row.refusals -= refusals
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
                amount = nanos / NANOS_PER_UNIT
                self._peak(view.namespace, view.team, resource, "requests_peak", amount)

    def _new_refusals(self, key: QuotaKey, total: int) -> int:
        last = self._rejections.get(key, 0)
        self._rejections[key] = total
        return total - last if total >= last else total  # a lower total: counting restarted

    def _quota(self, key: QuotaKey, team: str, used: float, hard: float, refusals: int) -> None:
        row = self._quotas.get(key)
        if row is None:
            row = self._quotas[key] = _Row({"used_peak": used, "used": used, "hard": hard}, team)
        elif (row.values["used"], row.values["hard"], row.team, refusals) == (used, hard, team, 0):
            return
        values = row.values
        values["used_peak"] = max(values["used_peak"], used)
        values["used"], values["hard"], row.team = used, hard, team
        row.refusals += refusals
        self._touch("quota", key, row)

    def _peak(self, namespace: str, team: str, resource: str, name: str, amount: float) -> None:
        key = (namespace, resource)
        row = self._demand.get(key)
        if row is None:
            row = self._demand[key] = _Row({}, team)
        elif amount <= row.values.get(name, -1.0) and row.team == team:
            return
        row.values[name] = max(amount, row.values.get(name, amount))
        row.team = team
        self._touch("demand", key, row)

    def _touch(self, kind: str, key: tuple[str, ...], row: _Row) -> None:
        self._change += 1
        row.change = self._change
        self._dirty[(self._today, kind, key)] = row
