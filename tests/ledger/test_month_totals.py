"""The CSV from the month summed by SQLite equals the CSV from every ledger row."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.cost.chargeback import Policy, month_totals
from exporter.cost.pricing import parse_pricing
from exporter.ledger.reports import ledger_csv
from tests.cost.costhelpers import HOUR, namespace, node, pod
from tests.cost.rowpath import chargeback_csv, ledger_totals
from tests.ledger.test_store import APRIL, running

PRICING = parse_pricing("cpu_core_hour: 3.0\nmemory_gib_hour: 0.5\nidle: separate\n")


def test_totals_and_rows_agree_over_days_with_idle(tmp_path: Path) -> None:
    r = running(tmp_path, APRIL)
    r.add("namespaces", namespace("web", team="frontend"))
    r.add("nodes", node("node-b", cpu="8"))
    r.add("pods", pod("web", "api", cpu="2", memory="1Gi"))
    r.clock.advance(30 * HOUR)  # across midnight: two days of idle, floored per day
    r.delete("pods", pod("dev", "w", cpu="1"))
    r.clock.advance(5 * HOUR)
    r.meter.flush()
    ledger = r.meter.ledger
    by_rows = ledger_totals(ledger.rows("2026-04"))
    by_sums = month_totals(ledger.month_totals("2026-04"))
    assert set(by_rows[0]) == set(by_sums[0])
    for owner, usage in by_rows[0].items():
        assert by_sums[0][owner].cost == pytest.approx(usage.cost)
    assert by_sums[1].cost == pytest.approx(by_rows[1].cost)
    assert sum(by_sums[1].cost) > 1  # real idle money was compared, not zeros
    for group_by in ("team", "namespace", "vcluster"):
        rows_csv = chargeback_csv(
            ledger.rows("2026-04"),
            month="2026-04",
            cluster="c",
            group_by=group_by,
            coverage=ledger.coverage("2026-04", now=r.clock()),
            policy=Policy(),
        )
        sums_csv = ledger_csv(
            ledger, month="2026-04", group_by=group_by, cluster="c", pricing=PRICING, now=r.clock()
        )
        assert sums_csv == rows_csv
