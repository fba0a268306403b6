"""Cost metrics from a literal CostView: names, labels, values, and promtool."""

from __future__ import annotations

import subprocess

from prometheus_client import CollectorRegistry, generate_latest

from exporter.metrics.collector import CostCollector
from exporter.metrics.families import COST_METRICS
from exporter.model.costview import ClusterCost, CostLine, CostView, TeamCost

VIEW = CostView(
    currency="USD",
    lines=(
        CostLine(
            "dev",
            "agents",
            "cpu",
            allocation=0.3,
            hourly_cost=0.0095,
            cost_total=0.5,
            month_to_date=12.25,
        ),
        # A deleted namespace: only what it accrued stays.
        CostLine(
            "gone",
            "agents",
            "memory",
            allocation=0.0,
            hourly_cost=0.0,
            cost_total=0.1,
            month_to_date=3.0,
        ),
    ),
    cluster=(ClusterCost("cpu", capacity=16.0, hourly_cost=0.5, idle_hourly_cost=0.2),),
    teams=(
        TeamCost("agents", budget=300.0, month_to_date=15.25, projected=40.0),
        TeamCost("web", budget=None, month_to_date=1.0, projected=2.0),
    ),
    ledger_last_flush_timestamp=1_800_000_000.0,
)


def registry() -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(CostCollector(lambda: VIEW))
    return reg


def test_values_and_labels() -> None:
    reg = registry()
    dev = {"namespace": "dev", "team": "agents", "resource": "cpu"}
    gone = {"namespace": "gone", "team": "agents", "resource": "memory"}
    assert reg.get_sample_value("quotameter_allocation", dev) == 0.3
    assert reg.get_sample_value("quotameter_hourly_cost", dev) == 0.0095
    assert reg.get_sample_value("quotameter_cost_total", dev) == 0.5
    assert reg.get_sample_value("quotameter_cost_month_to_date", dev) == 12.25
    assert reg.get_sample_value("quotameter_allocation", gone) is None
    assert reg.get_sample_value("quotameter_cost_month_to_date", gone) == 3.0
    assert reg.get_sample_value("quotameter_idle_hourly_cost", {"resource": "cpu"}) == 0.2
    assert reg.get_sample_value("quotameter_team_budget", {"team": "agents"}) == 300.0
    assert reg.get_sample_value("quotameter_team_budget", {"team": "web"}) is None
    assert reg.get_sample_value("quotameter_team_cost_projected", {"team": "web"}) == 2.0
    assert reg.get_sample_value("quotameter_ledger_last_flush_timestamp_seconds") == 1.8e9


def test_every_cost_family_and_promtool_is_clean() -> None:
    reg = registry()
    names = {m.name for m in reg.collect()}
    assert names == {s.name.removesuffix("_total") for s in COST_METRICS}
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=generate_latest(reg),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
