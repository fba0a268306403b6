"""Budgets per team (pricing file first, else namespace annotations summed) and the
month-end projection."""

from __future__ import annotations

import calendar
from decimal import Decimal

import pytest

from exporter.cost.budgets import team_budgets, team_costs
from exporter.model.costview import TeamCost
from exporter.model.records import NamespaceRecord

TEAMS = {"dev": "agents", "staging": "agents", "prod": "agents-prod", "ml": "ml"}


def ns(name: str, budget: str | None) -> NamespaceRecord:
    return NamespaceRecord(name, (), (), None if budget is None else Decimal(budget))


def test_the_file_wins_and_annotations_of_a_team_add_up() -> None:
    namespaces = [ns("dev", "100"), ns("staging", "50.5"), ns("prod", "400"), ns("ml", None)]
    budgets = team_budgets(configured={"agents-prod": 900.0}, namespaces=namespaces,
                           team_of=TEAMS.__getitem__)  # fmt: skip
    assert budgets == {"agents": 150.5, "agents-prod": 900.0}


def test_month_to_date_and_projection_per_team() -> None:
    now = float(calendar.timegm((2026, 4, 30, 12, 0, 0)))  # 12 hours before the month ends
    spend = {("dev", "agents", "cpu"): 10.0, ("staging", "agents", "memory"): 5.0,
             ("ml", "ml", "gpu"): 200.0}  # fmt: skip
    teams = team_costs(budgets={"agents": 100.0, "finance": 10.0}, month_to_date=spend,
                       hourly={"agents": 0.5, "ml": 2.0, "idle": 0.0}, now=now)  # fmt: skip
    assert [(t.team, t.budget, t.month_to_date) for t in teams] == [
        ("agents", 100.0, 15.0),
        ("finance", 10.0, 0.0),
        ("ml", None, 200.0),
    ]
    assert [t.projected for t in teams] == pytest.approx([15.0 + 0.5 * 12, 0.0, 200.0 + 2.0 * 12])
    assert all(isinstance(t, TeamCost) for t in teams)
