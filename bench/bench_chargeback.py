"""Benchmark of the monthly chargeback CSV from ledger rows (the issue asks < 2 s).

    .venv/bin/python -m bench.bench_chargeback [--namespaces 5000] [--days 30] [--repeat 5]

A month of `days` UTC days x `namespaces` namespaces x the 4 cost resources
(600,000 ledger rows at the defaults) plus the node capacity rows, 20 shared
namespaces and `idle: share`. Times `chargeback_csv` (aggregation, idle and
shared distribution, cent rounding, sorting and CSV rendering) for each
group_by; building the LedgerRow objects (the ledger's job) is not timed.
Reports the median and the worst of `repeat` runs and the CSV size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from exporter.cost.chargeback import Policy
from exporter.cost.csvout import chargeback_csv
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner

BUDGET_SECONDS = 2.0
GROUP_BYS = ("team", "namespace", "vcluster")
CRLF = b"\r\n"


def ledger_rows(*, namespaces: int, days: int, seed: int = 7) -> list[LedgerRow]:
    """A month of ledger rows: every namespace uses every resource every day."""
    rng = random.Random(seed)
    owners = [Owner(namespace=f"ns-{i:05d}", team=f"team-{i % 250:03d}") for i in range(namespaces)]
    capacity = Owner(namespace=CAPACITY_NAMESPACE, team="")
    rows: list[LedgerRow] = []
    for d in range(days):
        day = f"2026-01-{d + 1:02d}"
        used = dict.fromkeys(COST_RESOURCES, 0.0)
        for owner in owners:
            for resource in COST_RESOURCES:
                cost = rng.uniform(0.0, 5.0)
                used[resource] += cost
                rows.append(LedgerRow(day, owner, resource, cost * 3600.0 / 0.03, cost))
        for resource, cost in used.items():
            rows.append(LedgerRow(day, capacity, resource, cost * 1.3 * 3600.0 / 0.03, cost * 1.3))
    return rows


def run(*, namespaces: int, days: int, repeat: int) -> dict[str, list[float]]:
    """Seconds per CSV render, per group_by."""
    rows = ledger_rows(namespaces=namespaces, days=days)
    shared = frozenset(f"ns-{i:05d}" for i in range(0, namespaces, max(namespaces // 20, 1)))
    policy = Policy(currency="EUR", idle="share", shared_namespaces=shared, split="weighted")
    print(f"{len(rows):,} ledger rows ({namespaces:,} namespaces x {days} days x 4 resources)")
    times: dict[str, list[float]] = {g: [] for g in GROUP_BYS}
    for group_by in GROUP_BYS:
        for _ in range(repeat):
            began = time.perf_counter()
            body = chargeback_csv(
                rows,
                month="2026-01",
                cluster="bench",
                group_by=group_by,
                coverage=1.0,
                policy=policy,
            )
            times[group_by].append(time.perf_counter() - began)
        lines = body.count(CRLF) - 1  # minus the header
        print(
            f"group_by={group_by:9s} median {statistics.median(times[group_by]):.3f} s, "
            f"worst {max(times[group_by]):.3f} s, {lines:,} rows, "
            f"{len(body) / 1024:.0f} KiB"
        )
    return times


def main() -> int:
    """Run the benchmark; exit 1 when a median misses the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times = run(namespaces=args.namespaces, days=args.days, repeat=args.repeat)
    worst_median = max(statistics.median(t) for t in times.values())
    verdict = "ok" if worst_median < BUDGET_SECONDS else "TOO SLOW"
    print(f"budget {BUDGET_SECONDS:.1f} s: {verdict}")
    return 0 if worst_median < BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
