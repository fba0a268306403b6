"""CostMeter: the cost side of the daemon in one object, for app.py to wire.

    meter = CostMeter(state=state, usage=usage, pricing=load_pricing(path),
                      ledger_path=settings.ledger_path)      # subscribes to the state
    every few seconds: await meter.tick()                      # builds meter.latest
    supervise("ledger", lambda: meter.run_flusher(settings.ledger_flush_seconds))
    collectors read meter.latest                                # a CostView, no work
    await meter.recommendations(window_days=30, headroom=0.2)  # quota right-sizing
    on shutdown (SIGTERM): await meter.aclose()                 # flushes, then closes

The tick and each flush also fold the snapshot into the day's quota peaks
(exporter.model.peaks), which the flush writes with the cost; the right-sizing advice
read back from them is refreshed every ADVICE_REFRESH_SECONDS for the metric
quotameter_quota_recommended_hard.

Scrapes only read: the cost view is built on the accounting tick, and every SQLite
call of a running daemon (flushes, the month's stored totals, the chargeback CSV) runs
in the ledger's own thread, one at a time, so the event loop never waits on the disk.
Outside a running loop (tests, the CLI) ``flush``, ``view`` and ``close`` do the same
work in the calling thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from exporter.cost.budgets import team_budgets, team_costs
from exporter.cost.days import day_index, day_key, month_of
from exporter.cost.feed import CostFeed, NotifyingUsageTable
from exporter.cost.integrator import Batch, Integrator
from exporter.cost.pricing import Pricing
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, METRIC_SCALE
from exporter.cost.repricing import Repricer
from exporter.ledger.advice import ledger_recommendations
from exporter.ledger.focusreport import ledger_focus
from exporter.ledger.reports import ledger_csv
from exporter.ledger.store import CostKey, Ledger, month_costs
from exporter.model.costview import ClusterCost, CostLine, CostView
from exporter.model.peaks import DailyPeaks, HistoryBatch
from exporter.model.rightsizing import DEFAULT_HEADROOM, DEFAULT_WINDOW_DAYS, Recommendation
from exporter.model.state import ClusterState
from exporter.model.usage import UsageTable

LineKey = tuple[str, str, str]  # (namespace, team, resource)
PENDING_STEP = 2048  # accounts a flush takes between turns of the event loop (about 5 ms)
ADVICE_REFRESH_SECONDS = 600.0  # the advice moves with daily peaks: ten minutes is plenty
T = TypeVar("T")


class CostMeter:
    """Pricing, exact integration, the ledger and budgets, behind one listener and one view."""

    def __init__(
        self,
        *,
        state: ClusterState,
        usage: UsageTable,
        pricing: Pricing,
        ledger_path: Path | str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state, self.usage, self.pricing, self.clock = state, usage, pricing, clock
        self.peaks = DailyPeaks()
        self.advice: tuple[Recommendation, ...] = ()  # with the default window and headroom
        self._advised_at = -ADVICE_REFRESH_SECONDS
        self._changed = asyncio.Event()  # set when anything was re-priced since the tick
        self.integrator = Integrator()
        self.repricer = Repricer(
            integrator=self.integrator, pricing=pricing, usage=usage, records=state
        )
        self.feed = CostFeed(
            repricer=self.repricer, integrator=self.integrator, clock=clock,
            on_started=self._started, on_changed=self._changed.set,
        )  # fmt: skip
        state.subscribe(self.feed)
        if isinstance(usage, NotifyingUsageTable):
            usage.subscribe(self.feed.on_usage_sample)
        self.ledger = Ledger.open(ledger_path, source=self.integrator)
        self.latest = CostView(
            currency=pricing.currency, lines=(), cluster=(), teams=(),
            ledger_last_flush_timestamp=self.ledger.last_flush_timestamp,
        )  # fmt: skip
        self._month = _MonthToDate()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self._flushing = asyncio.Lock()  # one batch between pending() and its settling

    # -- in the calling thread (tests, the CLI, no loop running) ------------------------

    def flush(self, now: float | None = None) -> int:
        """Write what accrued since the last flush to the ledger; the rows written."""
        now = self.clock() if now is None else now
        self._observe(now)
        batch, history = self.integrator.pending(now), self.peaks.pending()
        self._settle(batch, history, self.ledger.write(batch, history))
        return len(batch.cost)

    def close(self, now: float | None = None) -> None:
        """Flush, then close the ledger: the last step of a graceful stop."""
        try:
            self.flush(now)
        finally:
            self.ledger.close()
            self._worker.shutdown()

    def view(self, now: float | None = None) -> CostView:
        """The cost snapshot for the metrics collectors (see exporter.model.costview);
        reads the month's stored totals from SQLite when they are not loaded yet."""
        now = self.clock() if now is None else now
        self._load_month(now)
        self._observe(now)
        return self._build_view(now)

    def month_to_date(self, now: float) -> dict[CostKey, float]:
        """Cost per (namespace, team, resource) in the month of ``now``: stored plus not
        yet flushed (reads the stored part from SQLite when it is not loaded yet)."""
        self._load_month(now)
        return self._month_to_date(now)

    def _load_month(self, now: float) -> None:
        if self._month.month != month_of(now):
            self._month.load(month_of(now), *self.ledger.month_cost(month_of(now)))

    # -- on the event loop ---------------------------------------------------------------

    async def tick(self, now: float | None = None) -> CostView:
        """Build the view scrapes read (``latest``); SQLite only in the ledger's thread."""
        self._changed.clear()
        now = self.clock() if now is None else now
        month = month_of(now)
        if self._month.month != month:
            self._month.load(month, *await self._in_worker(self.ledger.month_cost, month))
        await self._observe_in_slices(now)
        self.latest = self._build_view(now)
        return self.latest

    async def until_changed(self, at_most: float) -> None:
        """Wait until something was re-priced since the last tick, or ``at_most`` s.

        asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the result and
        drops a cancel that arrives in the same loop turn as the change, so the daemon's
        stop was lost and it never exited."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._changed.wait()

    async def flush_off_loop(self, now: float | None = None) -> int:
        """``flush`` with the write in the ledger's thread. A cancelled caller does not
        cancel the flush: what was written is always settled, never written twice."""
        return await asyncio.shield(asyncio.ensure_future(self._flush_serially(now)))

    async def _flush_serially(self, now: float | None) -> int:
        async with self._flushing:
            now = self.clock() if now is None else now
            # Taken a slice at a time: scrapes and events run in between.
            parts = await _in_turns(self.integrator.pending_steps(now, step=PENDING_STEP))
            await self._observe_in_slices(now)
            history = HistoryBatch.join(await _in_turns(self.peaks.pending_steps()))
            batch = Batch.join(now, parts)
            self._settle(batch, history, await self._in_worker(self.ledger.write, batch, history))
            return len(batch.cost)

    async def run_flusher(
        self, interval: float, *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    ) -> None:
        """Flush every ``interval`` seconds, forever (run it under a supervisor: a
        LedgerError ends it, and the amounts stay pending for the next attempt)."""
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        while True:
            await sleep(interval)
            await self.flush_off_loop()
            if self.clock() - self._advised_at >= ADVICE_REFRESH_SECONDS:
                self._advised_at = self.clock()
                self.advice = tuple(await self.recommendations())

    async def recommendations(
        self,
        *,
        window_days: int = DEFAULT_WINDOW_DAYS,
        headroom: float = DEFAULT_HEADROOM,
        now: float | None = None,
    ) -> list[Recommendation]:
        """Right-sizing advice for every current quota key, from the stored history and
        everything observed up to now (see exporter.model.rightsizing)."""
        await self.flush_off_loop(now)
        now = self.clock() if now is None else now
        keys = {
            (row.quota.namespace, row.quota.name, resource)
            for row in self.state.snapshot().quotas
            for resource in row.quota.hard_keys()
        }
        return await self._in_worker(
            lambda: ledger_recommendations(
                self.ledger, now=now, window_days=window_days, headroom=headroom, keys=keys
            )
        )

    async def chargeback_csv(
        self, *, month: str, group_by: str | None, cluster: str, fmt: str = "csv"
    ) -> bytes:
        """A month's chargeback CSV, or its FOCUS export (``fmt="focus"``), including
        everything accrued up to now."""
        await self.flush_off_loop()
        if fmt == "focus":
            return await self._in_worker(
                lambda: ledger_focus(
                    self.ledger, month=month, cluster=cluster, pricing=self.pricing
                )
            )
        return await self._in_worker(
            lambda: ledger_csv(
                self.ledger, month=month, group_by=group_by, cluster=cluster, pricing=self.pricing
            )
        )

    async def aclose(self) -> None:
        """``close`` for a running daemon: the last flush, then the file, in order."""
        try:
            await self.flush_off_loop()
        finally:
            await self._in_worker(self.ledger.close)
            self._worker.shutdown()

    async def _in_worker(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, call, *args)

    # -- the view ------------------------------------------------------------------------

    def _month_to_date(self, now: float) -> dict[CostKey, float]:
        totals = dict(self._month.stored)
        for key, cost in self.integrator.pending_month_cost(now, self._month.month).items():
            totals[key] = totals.get(key, 0.0) + cost
        return totals

    def _started(self) -> None:
        # The moment /readyz turns ready: scrapes see complete cost at once, not a tick
        # later (the month's stored totals are loaded by the first tick, at start).
        now = self.clock()
        if self._month.month == month_of(now):
            self.latest = self._build_view(now)

    def _settle(self, batch: Batch, history: HistoryBatch, write: int) -> None:
        self.integrator.committed(batch)
        self.peaks.committed(history)
        self._month.add(batch, write)

    def _observe(self, now: float) -> None:
        self.peaks.observe(self.state.snapshot(), usage=self.usage, day=day_key(day_index(now)))

    async def _observe_in_slices(self, now: float) -> None:
        """``_observe``, letting scrapes and events run between slices of namespaces."""
        day = day_key(day_index(now))
        await _in_turns(self.peaks.observe_steps(self.state.snapshot(), usage=self.usage, day=day))

    def _build_view(self, now: float) -> CostView:
        self.integrator.close_all(now)
        lines, capacity, team_hourly = self._sum_accounts()
        month_to_date = self._month_to_date(now)
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
            recommendations=self.advice,
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


class _MonthToDate:
    """The stored cost of the current month, kept current by each flush without asking
    SQLite again. ``writes`` numbers the ledger's writes, so a flush that landed before
    the month was read is not added twice."""

    def __init__(self) -> None:
        self.month = ""
        self.stored: dict[CostKey, float] = {}
        self._read_after = 0  # the ledger's write count when the month was read

    def load(self, month: str, stored: dict[CostKey, float], writes: int) -> None:
        self.month, self.stored, self._read_after = month, stored, writes

    def add(self, batch: Batch, write: int) -> None:
        if self.month and write > self._read_after:
            month_costs(self.stored, batch.cost, self.month)


def _cost_lines(
    lines: dict[LineKey, list[float]], month_to_date: dict[LineKey, float]
) -> tuple[CostLine, ...]:
    zero = (0.0, 0.0, 0.0)
    return tuple(
        _cost_line(key, lines.get(key, zero), month_to_date.get(key, 0.0))
        for key in sorted(lines.keys() | month_to_date.keys())
    )


def _cost_line(key: LineKey, sums: Sequence[float], month_to_date: float) -> CostLine:
    allocation, hourly, total = sums  # as _sum_accounts adds them up
    return CostLine(*key, allocation, hourly, total, month_to_date=month_to_date)


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


async def _in_turns(steps: Iterable[T]) -> list[T]:
    """Every item of a stepped call, with a turn of the event loop after each."""
    items = []
    for item in steps:
        items.append(item)
        await asyncio.sleep(0)
    return items
