"""The chargeback computed row by row from a month's ledger rows: the reference the
SQL-summed path (``Ledger.month_totals`` -> ``month_totals``) is held equal to."""

from __future__ import annotations

from collections.abc import Sequence

from exporter.cost.chargeback import ChargebackRow, Policy, build_rows
from exporter.cost.csvout import parse_group_by, parse_month, period_of, render_csv
from exporter.cost.distribution import Usage
from exporter.cost.progress import NoProgress, Progress
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner

INDEX = {name: i for i, name in enumerate(COST_RESOURCES)}


def ledger_totals(
    rows: Sequence[LedgerRow], *, progress: Progress | None = None
) -> tuple[dict[Owner, Usage], Usage]:
    """Per-owner month totals, and the idle floored per day and resource."""
    progress = progress or NoProgress()
    owners: dict[Owner, Usage] = {}
    allocated: dict[tuple[str, int], list[float]] = {}
    capacity: dict[tuple[str, int], list[float]] = {}
    progress.start(len(rows), label="ledger rows")
    for row in rows:
        r = INDEX.get(row.resource)
        if r is None:
            continue
        if row.owner.namespace == CAPACITY_NAMESPACE:
            cell = capacity.setdefault((row.day, r), [0.0, 0.0])
        else:
            usage = owners.setdefault(row.owner, Usage.zero())
            usage.unit_seconds[r] += row.unit_seconds
            usage.cost[r] += row.cost
            cell = allocated.setdefault((row.day, r), [0.0, 0.0])
        cell[0] += row.unit_seconds
        cell[1] += row.cost
    progress.advance(len(rows))
    progress.finish()
    idle = Usage.zero()
    for (day, r), (cap_units, cap_cost) in capacity.items():
        units, cost = allocated.get((day, r), (0.0, 0.0))
        idle.unit_seconds[r] += max(cap_units - units, 0.0)
        idle.cost[r] += max(cap_cost - cost, 0.0)
    return owners, idle


def chargeback_rows(
    rows: Sequence[LedgerRow],
    *,
    period: str,
    cluster: str,
    group_by: str,
    coverage: float,
    policy: Policy,
    progress: Progress | None = None,
) -> list[ChargebackRow]:
    """The month's chargeback rows from its ledger rows (capacity rows included)."""
    owners, idle = ledger_totals(rows, progress=progress)
    return build_rows(
        owners, idle, period=period, cluster=cluster, group_by=group_by,
        coverage=coverage, policy=policy,
    )  # fmt: skip


def chargeback_csv(
    rows: Sequence[LedgerRow],
    *,
    month: str,
    cluster: str,
    group_by: str,
    coverage: float,
    policy: Policy,
) -> bytes:
    """A month's ledger rows to CSV bytes, row by row."""
    start, _ = parse_month(month)
    group_by = parse_group_by(group_by)
    found = chargeback_rows(
        rows, period=period_of(start), cluster=cluster, group_by=group_by,
        coverage=coverage, policy=policy,
    )  # fmt: skip
    return render_csv(found, group_by=group_by)
