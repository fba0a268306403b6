"""Benchmark of the FOCUS export of one month, beside the chargeback CSV of the same month.

    .venv/bin/python -m bench.bench_focus [--namespaces 1000] [--days 30] [--shared 10]

The ledger is bench_ledger's month (6 series per namespace: cpu, memory, gpu, storage
and a vcluster owner's cpu and memory, every day), with the first ``--shared``
namespaces shared, so every other owner also gets a shared row per day x resource.
Reported: seconds (wall and CPU) and size of the CSV (group_by=vcluster) and of the
FOCUS export, end to end from SQLite, and that the export's BilledCost adds up to the
CSV's total_cost.
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.bench_ledger import prefill
from exporter.cost.pricing import parse_pricing
from exporter.ledger.focusreport import ledger_focus
from exporter.ledger.reports import ledger_csv
from exporter.ledger.store import Ledger


def column_sum(body: bytes, column: str) -> Decimal:
    rows = csv.DictReader(io.StringIO(body.decode()))
    return sum((Decimal(row[column]) for row in rows), Decimal(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shared", type=int, default=10)
    args = parser.parse_args()
    shared = ", ".join(f"ns-{i:05d}" for i in range(args.shared))
    pricing = parse_pricing(f"shared: {{namespaces: [{shared}]}}\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        prefill(path, namespaces=args.namespaces, days=args.days)
        with Ledger.open(path, readonly=True) as ledger:
            began, cpu = time.perf_counter(), time.process_time()
            chargeback = ledger_csv(ledger, month="2026-03", group_by="vcluster", cluster="c",
                                    pricing=pricing, now=0.0)  # fmt: skip
            csv_seconds = (time.perf_counter() - began, time.process_time() - cpu)
            began, cpu = time.perf_counter(), time.process_time()
            focus = ledger_focus(ledger, month="2026-03", cluster="c", pricing=pricing)
            focus_seconds = (time.perf_counter() - began, time.process_time() - cpu)
    rows = args.namespaces * 6 * args.days
    print(f"{args.namespaces} namespaces, {args.days} days: {rows} ledger rows")
    for name, body, seconds in (("chargeback CSV", chargeback, csv_seconds),
                                ("FOCUS export", focus, focus_seconds)):  # fmt: skip
        lines = body.count(b"\n") - 1
        print(f"{name:<15} {seconds[0]:6.2f} s ({seconds[1]:6.2f} s CPU)  {lines:>9} rows  "
              f"{len(body) / 2**20:7.1f} MiB")  # fmt: skip
    total, billed = column_sum(chargeback, "total_cost"), column_sum(focus, "BilledCost")
    print(f"total_cost {total}  BilledCost {billed}  equal: {total == billed}")


if __name__ == "__main__":
    main()
