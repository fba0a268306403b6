"""Fleet chargeback: the monthly CSV computed from a Prometheus-compatible API.

Every quotameter exports `quotameter_cost_total{namespace,team,resource}`, a
counter of money since its process started; the scrape config may add a
`cluster` label. For each UTC day of the month we ask, at the day's end (for
today: at `now`, to the second), one instant query per quantity:

- cost: `increase(...[1d])` summed per cluster x owner x resource. `increase`
  handles counter resets, so daemon restarts neither lose nor double money;
  summing after `increase` also merges the series of a replaced pod (new
  `instance` label). Error: Prometheus extrapolates to the window's edges,
  about half a scrape interval of cost per series birth, restart and day
  boundary, either way.
- quantities: `quotameter_allocation` integrated as a Riemann sum over a
  subquery at `step`-second instants: unit-seconds = sum of values x step.
  The step is 60 s for a whole day of data and span/1440 (at least 1 s)
  for a shorter span. The error is at most one step per allocation change; a
  vanished series contributes 0.
- idle: `quotameter_idle_hourly_cost` integrated the same way (/3600), and
  idle unit-hours from capacity - allocation, floored at every instant (the
  ledger floors per day; the two differ only when a resource was
  over-allocated for part of a day).
- coverage: the instants at which the cluster had any cost series
  (`count_over_time` of `group by (cluster)`), x step, over the month's
  elapsed seconds.

Two probes per day come first (coverage, and the first instant with cost
data); the other queries then look back only to where the day's data
begins, so a daemon started minutes ago is integrated at a fine step (a daemon started
less than a step before `now` is seen by no instant of the probes' subqueries:
they fall back to `now` itself).

Shared and idle cost then go through the same `build_rows` as the ledger path.
Queries are per day so that none spans more than a day of raw samples.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from exporter.cost.chargeback import ChargebackRow, Policy, build_rows
from exporter.cost.csvout import parse_group_by, parse_month, period_of
from exporter.cost.progress import NoProgress, Progress
from exporter.fleet.promapi import Answer, PrometheusAPI, PrometheusError
from exporter.fleet.queries import (
    MEASURES,
    PROBES,
    QUERIES,
    STEP,
    Collector,
    Window,
    narrow,
    windows,
)


@dataclass(frozen=True, slots=True)
class FleetReport:
    """Rows of every cluster (sorted by cluster first) and notes for stderr."""

    rows: list[ChargebackRow]
    notes: list[str]
    clusters: list[str]


Job = tuple[str, Window]  # (query kind, window)


async def run_queries(
    api: PrometheusAPI,
    jobs: Sequence[Job],
    *,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> list[tuple[str, Window, Answer]]:
    """Every (kind, window) job, at most `concurrency` at a time; answers in job order."""
    progress = progress or NoProgress()
    answers: list[Answer] = [Answer(samples=[], warnings=[])] * len(jobs)
    gate = asyncio.Semaphore(max(concurrency, 1))

    async def one(i: int, kind: str, window: Window) -> None:
        async with gate:
            query = QUERIES[kind](window.seconds, window.step)
            answers[i] = await api.instant(query, at=window.at)
        progress.advance()

    try:
        # A TaskGroup cancels the other queries as soon as one fails.
        async with asyncio.TaskGroup() as group:
            for i, (kind, window) in enumerate(jobs):
                group.create_task(one(i, kind, window))
    except ExceptionGroup as failed:
        first = failed.exceptions[0]
        if isinstance(first, PrometheusError):
            raise first from None
        raise
    return [(kind, w, answer) for (kind, w), answer in zip(jobs, answers, strict=True)]


async def query_month(
    api: PrometheusAPI,
    plan: Sequence[Window],
    *,
    kinds: Sequence[str],
    max_step: int = STEP,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> list[tuple[str, Window, Answer]]:
    """The probes over whole windows, then `kinds` over each window cut to its data."""
    progress = progress or NoProgress()
    progress.start(len(plan) * (len(PROBES) + len(kinds)), label="prometheus queries")
    try:
        jobs = [(kind, window) for window in plan for kind in PROBES]
        probes = await run_queries(api, jobs, concurrency=concurrency, progress=progress)
        narrowed = _narrowed(probes, max_step=max_step)
        if skipped := (len(plan) - len(narrowed)) * len(kinds):
            progress.advance(skipped)  # windows without any cost data
        jobs = [(kind, window) for window in narrowed for kind in kinds]
        return probes + await run_queries(api, jobs, concurrency=concurrency, progress=progress)
    finally:
        progress.finish()


def _narrowed(probes: Sequence[tuple[str, Window, Answer]], *, max_step: int) -> list[Window]:
    """Each window with cost data, cut to where the data begins (over all clusters)."""
    out = []
    for kind, window, answer in probes:
        if kind == "first":
            seen = min((sample.value for sample in answer.samples), default=None)
            cut = narrow(window, seen, max_step=max_step)
            out += [cut] if cut else []
    return out


@asynccontextmanager
async def _session_of(
    session: aiohttp.ClientSession | None,
) -> AsyncIterator[aiohttp.ClientSession]:
    if session is not None:
        yield session
        return
    async with aiohttp.ClientSession() as own:
        yield own


async def fleet_chargeback(
    url: str,
    *,
    month: str,
    group_by: str,
    policy: Policy,
    now: datetime | float,
    cluster: str = "",
    headers: Mapping[str, str] | None = None,
    request_timeout: float = 60.0,
    concurrency: int = 4,
    max_step: int = STEP,
    progress: Progress | None = None,
    session: aiohttp.ClientSession | None = None,
) -> FleetReport:
    """Chargeback rows of every cluster in the Prometheus at `url` for `month` (YYYY-MM).

    `cluster` names the series without a `cluster` label; `now` (UTC datetime or Unix
    seconds) cuts the current month.
    """
    start, end = parse_month(month)
    group_by = parse_group_by(group_by)
    if not isinstance(now, datetime):
        now = datetime.fromtimestamp(now, UTC)
    plan = windows(start, end, now=now, max_step=max_step)
    kinds = [k for k in MEASURES if policy.idle != "ignore" or not k.startswith("idle")]
    async with _session_of(session) as client:
        api = PrometheusAPI(url, session=client, headers=headers, timeout=request_timeout)
        answers = await query_month(
            api,
            plan,
            kinds=kinds,
            max_step=max_step,
            concurrency=concurrency,
            progress=progress,
        )
    collector = Collector(default_cluster=cluster)
    for kind, window, answer in answers:
        collector.add(kind, answer, step=window.step)
    elapsed = sum(window.seconds for window in plan)
    period = period_of(start)
    rows = [
        row
        for name, totals in sorted(collector.clusters.items())
        for row in build_rows(
            totals.owners,
            totals.idle,
            period=period,
            cluster=name,
            group_by=group_by,
            coverage=totals.observed_seconds / elapsed if elapsed else 0.0,
            policy=policy,
        )
    ]
    notes = _notes(collector, answers, url=url, period=period, policy=policy, group_by=group_by)
    return FleetReport(rows=rows, notes=notes, clusters=sorted(collector.clusters))


def _notes(
    collector: Collector,
    answers: Sequence[tuple[str, Window, Answer]],
    *,
    url: str,
    period: str,
    policy: Policy,
    group_by: str,
) -> list[str]:
    """What the operator should know about the numbers (printed on stderr)."""
    notes = list(dict.fromkeys(w for _, _, answer in answers for w in answer.warnings))
    if "cost" not in collector.seen:
        notes.append(f"no quotameter_cost_total samples for {period} at {url}: no cost rows")
    if "allocation" not in collector.seen:
        notes.append(f"no quotameter_allocation samples for {period}: quantity columns are 0")
    if policy.idle != "ignore" and "idle_cost" not in collector.seen:
        notes.append(f"no quotameter_idle_hourly_cost samples for {period}: idle cost is 0")
    if collector.unknown_resources:
        names = ", ".join(sorted(collector.unknown_resources))
        notes.append(f"ignored resource label values (not cpu/memory/gpu/storage): {names}")
    owners = [owner for totals in collector.clusters.values() for owner in totals.owners]
    if group_by == "vcluster" and not any(owner.vcluster for owner in owners):
        notes.append("the cost series carry no vcluster label: vcluster columns are empty")
    return notes
