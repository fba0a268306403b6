"""The chargeback CSV: golden files per group_by, formula neutralising, month parsing.

Regenerate the golden files after an intended format change with
`QUOTAMETER_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cost/test_csv_render.py`
and review the diff.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporter.cost.chargeback import GROUP_BYS, Policy
from exporter.cost.csvout import (
    ChargebackParamError,
    MonthError,
    header,
    money,
    neutralise,
    parse_group_by,
    parse_month,
    quantity,
    render_csv,
)
from exporter.cost.records import CAPACITY_NAMESPACE, LedgerRow, Owner
from tests.cost.rowpath import chargeback_csv, chargeback_rows

GOLDEN = Path(__file__).parent / "golden"
GIB_HOUR = 3600.0  # unit-seconds of one unit-hour
MONEY_PARTS = ("cpu_cost", "memory_cost", "gpu_cost", "storage_cost", "shared_cost", "idle_cost")


def month_of_demo() -> list[LedgerRow]:
    """Two days of a demo-like cluster: GPUs, storage, a shared namespace, a vcluster, idle."""
    rows: list[LedgerRow] = []
    sandbox = "vc-sandbox"
    usage = [
        (Owner("dev", "agents"), "cpu", 7.2, 0.216),
        (Owner("dev", "agents"), "memory", 9.6, 0.048),
        (Owner("staging", "agents"), "cpu", 9.6, 0.288),
        (Owner("prod", "agents-prod"), "cpu", 19.2, 0.576),
        (Owner("prod", "agents-prod"), "storage", 240.0, 0.0333),
        (Owner("ml-training", "ml"), "gpu", 48.0, 120.0),
        (Owner("ml-training", "ml"), "cpu", 96.0, 2.88),
        (Owner("observability", "platform"), "cpu", 24.0, 0.72),
        (Owner(sandbox, "sandbox"), "cpu", 2.4, 0.072),
        (Owner(sandbox, "sandbox", "vc-1", "web"), "cpu", 4.8, 0.144),
        (Owner(sandbox, "sandbox", "vc-1", "db"), "memory", 48.0, 0.24),
        (Owner("billing", '=HYPERLINK("http://evil","x")'), "cpu", 1.0, 0.03),
        (Owner("emea", "Finance, EMEA"), "cpu", 1.0, 0.03),
    ]
    capacity = Owner(CAPACITY_NAMESPACE, "")
    for day in ("2026-01-01", "2026-01-02"):
        rows += [LedgerRow(day, o, r, hours * GIB_HOUR, cost) for o, r, hours, cost in usage]
        rows += [
            LedgerRow(day, capacity, "cpu", 192.0 * GIB_HOUR, 5.76),
            LedgerRow(day, capacity, "memory", 768.0 * GIB_HOUR, 3.84),
            LedgerRow(day, capacity, "gpu", 96.0 * GIB_HOUR, 240.0),
        ]
    return rows


POLICY = Policy(currency="EUR", idle="separate", shared_namespaces=frozenset({"observability"}))


@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_golden_files(group_by: str) -> None:
    body = chargeback_csv(
        month_of_demo(),
        month="2026-01",
        cluster="demo",
        group_by=group_by,
        coverage=0.98712,
        policy=POLICY,
    )
    path = GOLDEN / f"chargeback-{group_by}.csv"
    if os.environ.get("QUOTAMETER_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
    assert body == path.read_bytes()


@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_csv_is_rfc4180_with_the_spec_columns(group_by: str) -> None:
    body = (GOLDEN / f"chargeback-{group_by}.csv").read_bytes()
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    table = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert table[0] == header(group_by)
    assert all(len(row) == len(table[0]) for row in table)
    parts = [table[0].index(c) for c in MONEY_PARTS]
    total = table[0].index("total_cost")
    for row in table[1:]:  # the money columns add up to total_cost, to the cent
        assert sum(round(float(row[i]) * 100) for i in parts) == round(float(row[total]) * 100)


def test_header_columns_per_group_by() -> None:
    assert ",".join(header("namespace")) == (
        "period,cluster,team,namespace,cpu_core_hours,memory_gib_hours,gpu_hours,"
        "storage_gib_hours,cpu_cost,memory_cost,gpu_cost,storage_cost,shared_cost,idle_cost,"
        "total_cost,currency,coverage"
    )
    assert header("team")[:4] == ["period", "cluster", "team", "cpu_core_hours"]
    assert header("vcluster")[2:7] == [
        "team",
        "namespace",
        "vcluster",
        "virtual_namespace",
        "cpu_core_hours",
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\uff1d"])
def test_formula_cells_are_neutralised(start: str) -> None:
    team = f"{start}cmd|' /C calc'!A0"
    ledger = [LedgerRow("2026-01-01", Owner("ns", team), "cpu", 3600.0, 1.0)]
    rows = chargeback_rows(
        ledger, period="2026-01", cluster="-c", group_by="team", coverage=1.0, policy=POLICY
    )
    table = list(csv.reader(io.StringIO(render_csv(rows, group_by="team").decode(), newline="")))
    assert table[1][1:3] == ["'-c", "'" + team]
    assert neutralise("team-a") == "team-a"
    assert neutralise("a=b") == "a=b"


def test_cells_that_need_quotes_are_quoted_minimally() -> None:
    lines = (GOLDEN / "chargeback-namespace.csv").read_bytes().split(b"\r\n")
    assert b'"Finance, EMEA",emea,' in b"\r\n".join(lines)
    assert b'"\'=HYPERLINK(""http://evil"",""x"")",billing,' in b"\r\n".join(lines)
    assert lines[1].startswith(b"2026-01,demo,")  # no quotes where none are needed


BAD_MONTHS = ["2026-13", "26-01", "", "2026-1", "2026-00", "2026-01-01", " 2026-01", None]
FULLWIDTH_YEAR = "\uff12\uff10\uff12\uff16-01"  # Unicode digits, which a regex \d would accept


@pytest.mark.parametrize("text", [*BAD_MONTHS, FULLWIDTH_YEAR])
def test_bad_months_raise_naming_the_parameter(text: str | None) -> None:
    with pytest.raises(MonthError, match=r"^month: expected a month written YYYY-MM") as caught:
        parse_month(text)
    assert caught.value.parameter == "month"
    assert isinstance(caught.value, ValueError)


def test_month_bounds_are_utc() -> None:
    assert parse_month("2026-01") == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert parse_month("2025-12") == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_group_by_is_checked() -> None:
    assert parse_group_by(None) == "team"
    assert parse_group_by("vcluster") == "vcluster"
    with pytest.raises(ChargebackParamError, match="group_by: expected one of team, namespace"):
        parse_group_by("pod")
    with pytest.raises(ChargebackParamError):
        render_csv([], group_by="Team")


def test_number_formats() -> None:
    assert [money(c) for c in (0, 5, 99, 100, 123456, -7)] == [
        "0.00",
        "0.05",
        "0.99",
        "1.00",
        "1234.56",
        "-0.07",
    ]
    assert [quantity(v) for v in (0.0, -1e-9, 1 / 3, 12.5)] == [
        "0.0000",
        "0.0000",
        "0.3333",
        "12.5000",
    ]


def test_empty_month_is_just_the_header() -> None:
    body = chargeback_csv(
        [], month="2026-02", cluster="c", group_by="team", coverage=0.0, policy=POLICY
    )
    assert body == (",".join(header("team")) + "\r\n").encode()
