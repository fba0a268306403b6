"""The FOCUS export from a ledger: the same money as the chargeback CSV to the cent,
valid FOCUS by the FinOps Foundation's own validator, and read in one snapshot."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from exporter.cost.integrator import Batch
from exporter.cost.pricing import parse_pricing
from exporter.cost.records import CAPACITY_NAMESPACE, Coverage
from exporter.ledger.focusreport import ledger_focus
from exporter.ledger.reports import ledger_csv
from exporter.ledger.store import Ledger
from tests.focusvalidator import assert_valid, validate

HOUR = 3600.0
DAYS = ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-30")
# (namespace, team, vcluster, virtual namespace, resource): unit-hours and cost a day.
SERIES = {
    ("dev", "agents", "", "", "cpu"): (4.8, 0.151733),
    ("dev", "agents", "", "", "memory"): (6.0, 0.025422),
    ("dev", "agents", "", "", "storage"): (120.0, 0.016668),
    ("staging", "agents", "", "", "cpu"): (21.6, 0.682798),
    ("prod", "agents-prod", "", "", "cpu"): (48.0, 1.517328),
    ("ml-training", "ml", "", "", "gpu"): (48.0, 48.288),
    ("ml-training", "ml", "", "", "cpu"): (96.0, 4.8),
    ("ml-training", "ml", "", "", "storage"): (4800.0, 1.13328),
    ("observability", "platform", "", "", "cpu"): (24.0, 0.758664),
    ("observability", "platform", "", "", "memory"): (96.0, 0.406752),
    ("vc-sandbox", "sandbox", "sandbox", "backend", "cpu"): (2.4, 0.075866),
    ("vc-sandbox", "web", "sandbox", "web", "memory"): (3.0, 0.012711),
    (CAPACITY_NAMESPACE, "", "", "", "cpu"): (480.0, 14.0),
    (CAPACITY_NAMESPACE, "", "", "", "memory"): (1536.0, 6.5),
    (CAPACITY_NAMESPACE, "", "", "", "gpu"): (96.0, 96.576),
    (CAPACITY_NAMESPACE, "", "", "", "storage"): (4920.0, 1.149948),
}
PRICING = """
provider: Platform team
idle: {idle}
shared: {{namespaces: [observability], split: weighted}}
"""


def write_month(path: Path) -> None:
    """Four days of a cluster like the demo's, each day a little different."""
    with Ledger.open(path) as ledger:
        for n, day in enumerate(DAYS):
            scale = 1.0 + 0.37 * n  # so days weigh differently and remainders differ
            rows = tuple(
                (key, day, units * HOUR * scale, cost * scale)
                for key, (units, cost) in SERIES.items()
            )
            ledger.write(Batch(until=0.0, cost=rows, coverage=(Coverage(day, 86_400.0),)))


def read(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


@pytest.fixture
def ledger(tmp_path: Path):
    write_month(tmp_path / "ledger.sqlite")
    with Ledger.open(tmp_path / "ledger.sqlite", readonly=True) as opened:
        yield opened


@pytest.mark.parametrize("idle", ["separate", "share", "ignore"])
def test_billed_cost_adds_up_to_the_csv_total_to_the_cent(ledger: Ledger, idle: str) -> None:
    pricing = parse_pricing(PRICING.format(idle=idle))
    focus = read(ledger_focus(ledger, month="2026-11", cluster="eu-1", pricing=pricing))
    billed = sum(Decimal(row["BilledCost"]) for row in focus)
    by_team: dict[str, Decimal] = defaultdict(Decimal)
    for row in focus:
        by_team[json.loads(row["Tags"])["team"]] += Decimal(row["BilledCost"])
    for group_by in ("team", "namespace", "vcluster"):
        body = ledger_csv(ledger, month="2026-11", group_by=group_by, cluster="eu-1",
                          pricing=pricing, now=0.0)  # fmt: skip
        chargeback = read(body)
        assert billed == sum(Decimal(row["total_cost"]) for row in chargeback), group_by
        if group_by == "team":
            assert by_team == {row["team"]: Decimal(row["total_cost"]) for row in chargeback}
    assert billed > 200  # real money: four days of GPUs
    assert "platform" not in by_team  # the shared namespace is spread, as in the CSV
    assert ("__idle__" in by_team) == (idle == "separate")


def test_one_row_per_day_owner_resource_and_charge(ledger: Ledger) -> None:
    pricing = parse_pricing(PRICING.format(idle="separate"))
    focus = read(ledger_focus(ledger, month="2026-11", cluster="eu-1", pricing=pricing))
    keys = [(r["ChargePeriodStart"], r["ResourceId"], r["Tags"]) for r in focus]
    assert len(keys) == len(set(keys))
    days = {row["ChargePeriodStart"][:10] for row in focus}
    assert days == set(DAYS)
    dev = [r for r in focus if r["ResourceId"] == "eu-1/dev/cpu"]
    assert [r["PricingQuantity"] for r in dev] == ["4.800000", "6.576000", "8.352000",
                                                   "10.128000"]  # fmt: skip
    shared = [r for r in focus if r["ResourceId"] == "eu-1/__shared__/memory"]
    assert {r["SubAccountId"] for r in shared} == {"dev", "staging", "prod", "ml-training",
                                                   "vc-sandbox"}  # fmt: skip
    web = [r for r in focus if json.loads(r["Tags"]).get("virtual_namespace") == "web"]
    assert {r["ResourceId"] for r in web if r["ResourceType"] != "Shared namespaces"} >= {
        "eu-1/vc-sandbox/sandbox/web/memory"
    }


def test_focus_validator_passes_the_export(ledger: Ledger, tmp_path: Path) -> None:
    pricing = parse_pricing(PRICING.format(idle="share"))
    data = tmp_path / "focus-2026-11.csv"
    data.write_bytes(ledger_focus(ledger, month="2026-11", cluster="eu-1", pricing=pricing))
    assert_valid(validate(data, workdir=tmp_path))


def test_the_days_are_read_in_one_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    write_month(path)
    with Ledger.open(path, readonly=True) as reader, Ledger.open(path) as writer:
        key = ("dev", "agents", "", "", "cpu")
        with reader._snapshot():
            before = reader.month_totals("2026-11")
            writer.write(Batch(until=0.0, cost=((key, "2026-11-03", HOUR, 1.0),), coverage=()))
            during = reader.rows("2026-11")
        after = reader.rows("2026-11")
    total = sum(r.cost for r in before.owners if r.owner.namespace == "dev")
    assert sum(r.cost for r in during if r.owner.namespace == "dev") == pytest.approx(total)
    assert sum(r.cost for r in after if r.owner.namespace == "dev") == pytest.approx(total + 1)
