"""Benchmark of one ledger flush: 5,000 namespaces x 6 resources (target < 200 ms).

    .venv/bin/python -m bench.bench_ledger [--namespaces 5000] [--flushes 10] [--days 30]

Each namespace has four plain accounts (cpu, memory, gpu, storage) and two of a
vcluster owner in it (cpu, memory): 6 ledger rows per namespace per flush. A flush is
what the daemon does every interval: close every account at `now`, collect the pending
rows, UPSERT them and the coverage in one transaction (synchronous=FULL, WAL), then
settle the amounts in memory. Reported: the first flush into an empty file (inserts),
the median and worst of the following flushes (upserts adding to the rows of the day),
and the same again into a ledger that already holds `--days` full days of rows (a
month's B-tree), and how long reading that month back takes (``rows`` and
``month_totals``). The file lives in a temporary directory on the same disk as /tmp.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from exporter.cost.allocation import Entry
from exporter.cost.integrator import Integrator
from exporter.cost.pricing import DEFAULT_PRICING
from exporter.cost.records import Owner
from exporter.ledger.reports import ledger_csv
from exporter.ledger.store import Ledger

START = 1_775_001_600.0  # 2026-04-01 00:00:00 UTC
INTERVAL = 30.0


def populate(namespaces: int, now: float, *, into: Integrator | None = None) -> Integrator:
    """An integrator (``into``, or a new one) with 6 accounts per namespace, all accruing."""
    integrator = into if into is not None else Integrator()
    integrator.start(now)
    for i in range(namespaces):
        plain = Owner(f"ns-{i:05d}", f"team-{i % 50}")
        virtual = Owner(plain.namespace, plain.team, "vc", "web")
        charge = (
            Entry(plain, "cpu", 0.031611, 2 * 10**9),
            Entry(plain, "memory", 0.004237, 4 * 2**30),
            Entry(plain, "gpu", 2.5, 10**9),
            Entry(plain, "storage", 0.0001389, 50 * 2**30),
            Entry(virtual, "cpu", 0.031611, 10**9),
            Entry(virtual, "memory", 0.004237, 2**30),
        )
        integrator.set(("ns", i), charge, now)
    return integrator


def prefill(path: Path, *, namespaces: int, days: int) -> None:
    """Write ``days`` full days of 6 rows per namespace, as a month of flushes would."""
    integrator = populate(namespaces, START - days * 86_400)
    with Ledger.open(path, source=integrator) as ledger:
        for day in range(days, 0, -1):
            ledger.flush(START - (day - 1) * 86_400)


def time_flushes(path: Path, *, namespaces: int, flushes: int) -> list[float]:
    """Seconds of each of ``flushes`` flushes, INTERVAL apart, on ``path``."""
    integrator = populate(namespaces, START)
    timings = []
    with Ledger.open(path, source=integrator) as ledger:
        for n in range(1, flushes + 1):
            began = time.perf_counter()
            rows = ledger.flush(START + n * INTERVAL)
            timings.append(time.perf_counter() - began)
            assert rows == namespaces * 6, rows
    return timings


def report(label: str, timings: list[float]) -> None:
    rest = timings[1:] or timings
    print(
        f"{label:<34} first {timings[0] * 1000:7.1f} ms   "
        f"then median {statistics.median(rest) * 1000:7.1f} ms, worst {max(rest) * 1000:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--flushes", type=int, default=10)
    parser.add_argument("--days", type=int, default=30, help="days of rows already stored")
    args = parser.parse_args()
    rows = args.namespaces * 6
    print(f"ledger flush: {args.namespaces} namespaces x 6 resources = {rows} rows per flush")
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.sqlite"
        report("empty ledger", time_flushes(empty, namespaces=args.namespaces,
                                            flushes=args.flushes))  # fmt: skip
        full = Path(tmp) / "full.sqlite"
        began = time.perf_counter()
        prefill(full, namespaces=args.namespaces, days=args.days)
        filled = time.perf_counter() - began
        size = full.stat().st_size / 2**20
        label = f"ledger with {args.days} days ({size:.0f} MiB)"
        report(label, time_flushes(full, namespaces=args.namespaces, flushes=args.flushes))
        print(f"(prefilling {args.days * rows} rows took {filled:.1f} s)")
        time_reads(full)


def time_reads(path: Path) -> None:
    """How long chargeback's two ways of reading the prefilled month take."""
    with Ledger.open(path, readonly=True) as ledger:
        for name in ("rows", "month_totals"):
            began = time.perf_counter()
            found = getattr(ledger, name)("2026-03")
            size = len(found) if name == "rows" else len(found.owners) + len(found.days)
            print(f"read 2026-03 with {name:<13} {time.perf_counter() - began:6.2f} s  "
                  f"({size} objects)")  # fmt: skip
        for group_by in ("team", "namespace"):
            began = time.perf_counter()
            body = ledger_csv(
                ledger,
                month="2026-03",
                group_by=group_by,
                cluster="",
                pricing=DEFAULT_PRICING,
                now=START,
            )
            print(
                f"chargeback CSV, group_by={group_by:<9} {time.perf_counter() - began:6.2f} s "
                f"end to end from SQLite ({len(body.splitlines()) - 1} rows)"
            )


if __name__ == "__main__":
    main()
