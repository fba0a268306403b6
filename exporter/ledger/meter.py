"""CostMeter: the cost side of the daemon in one object, for app.py to wire.

    meter = CostMeter(state=state, usage=usage, pricing=load_pricing(path),
                      ledger_path=settings.ledger_path)
    run_informers(..., sink=meter.feed)               # instead of sink=state
    supervise("ledger", lambda: meter.run_flusher(settings.ledger_flush_seconds))
    collectors read meter.view()                       # a CostView, no I/O
    on shutdown (SIGTERM): meter.close()               # flushes, then closes the file

Give the poller a ``NotifyingUsageTable`` and cost follows each usage sample by
itself; with a plain UsageTable, call ``meter.feed.on_usage_sample()`` after polls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from exporter.cost.budgets import team_budgets, team_costs
from exporter.cost.feed import CostFeed, NotifyingUsageTable, State
from exporter.cost.integrator import Integrator
from exporter.cost.pricing import Pricing
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, METRIC_SCALE
from exporter.cost.repricing import Repricer
from exporter.ledger.store import Ledger
from exporter.model.costview import ClusterCost, CostLine, CostView
from exporter.model.usage import UsageTable

LineKey = tuple[str, str, str]  # (namespace, team, resource)


class CostMeter:
    """Pricing, exact integration, the ledger and budgets, behind one sink and one view."""

    def __init__(
        self,
        *,
        state: State,
        usage: UsageTable,
        pricing: Pricing,
        ledger_path: Path | str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state, self.pricing, self.clock = state, pricing, clock
        self.integrator = Integrator()
        self.repricer = Repricer(
            integrator=self.integrator, pricing=pricing, usage=usage, teams=state
        )
        self.feed = CostFeed(state, repricer=self.repricer, integrator=self.integrator, clock=clock)
        self.ledger = Ledger.open(ledger_path, source=self.integrator)
        if isinstance(usage, NotifyingUsageTable):
            usage.subscribe(self.feed.on_usage_sample)

    def flush(self, now: float | None = None) -> int:
        """Write what accrued since the last flush to the ledger; the rows written."""
        return self.ledger.flush(self.clock() if now is None else now)

    async def run_flusher(
        self, interval: float, *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    ) -> None:
        """Flush every ``interval`` seconds, forever (run it under a supervisor: a
        LedgerError ends it, and the amounts stay pending for the next attempt)."""
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        while True:
            await sleep(interval)
            self.flush()

    def close(self, now: float | None = None) -> None:
        """Flush, then close the ledger: the last step of a graceful stop."""
        try:
            self.flush(now)
        finally:
            self.ledger.close()

    def view(self, now: float | None = None) -> CostView:
        """The cost snapshot for the metrics collectors (see exporter.model.costview).

        Call it on the event loop's thread, like every other method here: it closes the
        open intervals and reads the ledger's connection."""
        now = self.clock() if now is None else now
        self.integrator.close_all(now)
        lines, capacity, team_hourly = self._sum_accounts()
        month_to_date = self.ledger.month_to_date(now)
        budgets = team_budgets(
            configured=self.pricing.budgets(),
            namespaces=self.state.namespaces(),
            team_of=self.state.team_of,
        )
        return CostView(
            currency=self.pricing.currency,
            lines=_cost_lines(lines, month_to_date),
            cluster=_cluster(capacity, lines),
            teams=team_costs(
                budgets=budgets, month_to_date=month_to_date, hourly=team_hourly, now=now
            ),
            ledger_last_flush_timestamp=self.ledger.last_flush_timestamp,
        )

    def _sum_accounts(
        self,
    ) -> tuple[dict[LineKey, list[float]], dict[str, list[float]], dict[str, float]]:
        """Per line: [allocation, hourly, total]; per resource: [capacity, hourly];
        per team: hourly. Allocation is in Prometheus base units."""
        lines: dict[LineKey, list[float]] = {}
        capacity: dict[str, list[float]] = {}
        team_hourly: dict[str, float] = {}
        for owner, resource, account in self.integrator.accounts():
            amount = account.amount / METRIC_SCALE[resource]
            if owner.namespace == CAPACITY_NAMESPACE:
                sums = capacity.setdefault(resource, [0.0, 0.0])
                sums[0], sums[1] = sums[0] + amount, sums[1] + account.cost_per_hour
                continue
            line = lines.setdefault((owner.namespace, owner.team, resource), [0.0, 0.0, 0.0])
            line[0] += amount
            line[1] += account.cost_per_hour
            line[2] += account.cost_total
            team_hourly[owner.team] = team_hourly.get(owner.team, 0.0) + account.cost_per_hour
        return lines, capacity, team_hourly


def _cost_lines(
    lines: dict[LineKey, list[float]], month_to_date: dict[LineKey, float]
) -> tuple[CostLine, ...]:
    zero = (0.0, 0.0, 0.0)
    return tuple(
        CostLine(
            ns,
            team,
            resource,
            *lines.get((ns, team, resource), zero),
            month_to_date=month_to_date.get((ns, team, resource), 0.0),
        )
        for ns, team, resource in sorted(lines.keys() | month_to_date.keys())
    )


def _cluster(
    capacity: dict[str, list[float]], lines: dict[LineKey, list[float]]
) -> tuple[ClusterCost, ...]:
    allocated: dict[str, float] = {}
    for (_, _, resource), line in lines.items():
        allocated[resource] = allocated.get(resource, 0.0) + line[1]
    result = []
    for resource in sorted(COST_RESOURCES):
        amount, hourly = capacity.get(resource, (0.0, 0.0))
        idle = hourly - allocated.get(resource, 0.0)
        # Floored at 0; and float noise (1e-17 when everything is allocated) is not idle.
        idle = idle if idle > 1e-9 * hourly else 0.0
        result.append(ClusterCost(resource, amount, hourly, idle))
    return tuple(result)
