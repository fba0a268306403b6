"""Shared and idle cost distribution on literal cases, and cent rounding."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.cost.chargeback import IDLE_TEAM, ChargebackRow, Policy, group_key
from exporter.cost.distribution import apportion, round_rows, spread
from exporter.cost.records import CAPACITY_NAMESPACE, LedgerRow, Owner
from tests.cost.rowpath import chargeback_rows

SHARED = frozenset({"observability"})


def cost(day: str, namespace: str, team: str, resource: str, amount: float) -> LedgerRow:
    """A ledger row where one unit-hour costs 1 (so hours == money)."""
    return LedgerRow(day, Owner(namespace=namespace, team=team), resource, amount * 3600, amount)


def capacity(day: str, resource: str, amount: float) -> LedgerRow:
    """A node capacity row of the same price."""
    owner = Owner(namespace=CAPACITY_NAMESPACE, team="")
    return LedgerRow(day, owner, resource, amount * 3600, amount)


# One day; `observability` is shared. Own costs: dev 30, staging 10 (team a), prod 60 (team b).
SHARED_CASE = [
    cost("2026-01-01", "dev", "a", "cpu", 30.0),
    cost("2026-01-01", "staging", "a", "cpu", 10.0),
    cost("2026-01-01", "prod", "b", "cpu", 60.0),
    cost("2026-01-01", "observability", "platform", "cpu", 20.0),
]

# Two days. Day 1: cpu capacity 100, allocated 40 -> idle 60; memory 20 of 20 -> idle 0.
# Day 2: cpu capacity 40 but 50 allocated -> floored at 0 (a month-level floor would say 50).
IDLE_CASE = [
    cost("2026-01-01", "dev", "a", "cpu", 30.0),
    cost("2026-01-01", "prod", "b", "cpu", 10.0),
    cost("2026-01-01", "prod", "b", "memory", 20.0),
    capacity("2026-01-01", "cpu", 100.0),
    capacity("2026-01-01", "memory", 20.0),
    cost("2026-01-02", "dev", "a", "cpu", 50.0),
    capacity("2026-01-02", "cpu", 40.0),
]


def build(ledger: list[LedgerRow], *, group_by: str = "team", **policy: Any) -> list[ChargebackRow]:
    return chargeback_rows(
        ledger,
        period="2026-01",
        cluster="c1",
        group_by=group_by,
        coverage=1.0,
        policy=Policy(**policy),
    )


def money(rows: list[ChargebackRow]) -> dict[str, tuple[int, int, int]]:
    """namespace-or-team -> (own cost, shared, idle) in cents."""
    return {
        r.owner.namespace or r.owner.team: (sum(r.cost_cents), r.shared_cents, r.idle_cents)
        for r in rows
    }


@pytest.mark.parametrize(
    ("group_by", "split", "expected"),
    [
        (
            "namespace",
            "weighted",
            {"dev": (3000, 600, 0), "staging": (1000, 200, 0), "prod": (6000, 1200, 0)},
        ),
        ("team", "weighted", {"a": (4000, 800, 0), "b": (6000, 1200, 0)}),
        ("team", "even", {"a": (4000, 1000, 0), "b": (6000, 1000, 0)}),
        # even per team, then by own cost inside the team: a's 10 goes 7.5 / 2.5
        (
            "namespace",
            "even",
            {"dev": (3000, 750, 0), "staging": (1000, 250, 0), "prod": (6000, 1000, 0)},
        ),
    ],
)
def test_shared_namespaces_are_spread_and_get_no_row(
    group_by: str, split: str, expected: dict[str, tuple[int, int, int]]
) -> None:
    rows = build(SHARED_CASE, group_by=group_by, shared_namespaces=SHARED, split=split)
    assert money(rows) == expected
    assert sum(r.total_cents for r in rows) == 12000


def test_separate_idle_is_its_own_row_floored_per_day() -> None:
    rows = build(IDLE_CASE, idle="separate")
    assert money(rows) == {"a": (8000, 0, 0), "b": (3000, 0, 0), IDLE_TEAM: (0, 0, 6000)}
    idle_row = next(r for r in rows if r.owner.team == IDLE_TEAM)
    assert idle_row.hours == (60.0, 0.0, 0.0, 0.0)  # idle core-hours; memory was fully used
    assert idle_row.owner.namespace == ""
    assert sum(r.total_cents for r in rows) == 17000


def test_shared_idle_goes_by_cost_weight() -> None:
    rows = build(IDLE_CASE, idle="share")
    # 60 x 80/110 = 43.636..., 60 x 30/110 = 16.363...; the cents still add up to 60.00
    assert money(rows) == {"a": (8000, 0, 4364), "b": (3000, 0, 1636)}
    assert sum(r.total_cents for r in rows) == 17000


def test_ignored_idle_disappears() -> None:
    rows = build(IDLE_CASE, idle="ignore")
    assert money(rows) == {"a": (8000, 0, 0), "b": (3000, 0, 0)}


def test_idle_share_weighs_rows_after_shared_cost() -> None:
    ledger = [*SHARED_CASE, capacity("2026-01-01", "cpu", 150.0)]  # idle 30
    rows = build(ledger, group_by="namespace", shared_namespaces=SHARED, idle="share")
    # weights own + shared: dev 36, staging 12, prod 72
    assert money(rows) == {
        "dev": (3000, 600, 900),
        "staging": (1000, 200, 300),
        "prod": (6000, 1200, 1800),
    }


def test_idle_with_no_team_to_carry_it_stays_separate() -> None:
    rows = build([capacity("2026-01-01", "gpu", 12.5)], idle="share")
    assert money(rows) == {IDLE_TEAM: (0, 0, 1250)}
    assert rows[0].hours == (0.0, 0.0, 12.5, 0.0)


def test_shared_namespaces_keep_their_rows_when_nobody_else_is_there() -> None:
    rows = build(SHARED_CASE[3:], group_by="namespace", shared_namespaces=SHARED)
    assert money(rows) == {"observability": (2000, 0, 0)}


def test_even_split_when_all_weights_are_zero() -> None:
    ledger = [
        cost("2026-01-01", "dev", "a", "cpu", 0.0),
        cost("2026-01-01", "prod", "b", "cpu", 0.0),
        cost("2026-01-01", "observability", "platform", "cpu", 3.0),
    ]
    rows = build(ledger, shared_namespaces=SHARED, split="weighted")
    assert money(rows) == {"a": (0, 150, 0), "b": (0, 150, 0)}


def test_hours_are_unit_seconds_over_3600_per_resource() -> None:
    ledger = [
        LedgerRow("2026-01-01", Owner("dev", "a"), "cpu", 2 * 5400.0, 0.09),  # 2 cores x 90 min
        LedgerRow("2026-01-01", Owner("dev", "a"), "memory", 7200.0, 0.01),
        LedgerRow("2026-01-01", Owner("dev", "a"), "storage", 36000.0, 0.02),
        LedgerRow("2026-01-01", Owner("dev", "a"), "ephemeral", 1.0, 5.0),  # not a cost resource
    ]
    (row,) = build(ledger, group_by="namespace")
    assert row.hours == (3.0, 2.0, 0.0, 10.0)
    assert row.cost_cents == (9, 1, 0, 2)


def test_vcluster_grouping_keeps_virtual_namespaces_apart() -> None:
    host = "vc-sandbox"
    ledger = [
        LedgerRow("2026-01-01", Owner(host, "sandbox"), "cpu", 3600.0, 1.0),
        LedgerRow("2026-01-01", Owner(host, "sandbox", "vc1", "web"), "cpu", 3600.0, 2.0),
        LedgerRow("2026-01-01", Owner(host, "sandbox", "vc1", "db"), "cpu", 3600.0, 4.0),
    ]
    keys = {
        (r.owner.vcluster, r.owner.virtual_namespace): sum(r.cost_cents)
        for r in build(ledger, group_by="vcluster")
    }
    assert keys == {("", ""): 100, ("vc1", "web"): 200, ("vc1", "db"): 400}
    (row,) = build(ledger, group_by="namespace")
    assert (row.owner.namespace, row.owner.vcluster, sum(row.cost_cents)) == (host, "", 700)


def test_group_key_and_policy_reject_unknown_names() -> None:
    with pytest.raises(ValueError, match="group_by"):
        group_key(Owner("dev", "a"), "pod")
    with pytest.raises(ValueError, match="idle"):
        Policy(idle="hide")
    with pytest.raises(ValueError, match="split"):
        Policy(split="random")


def test_apportion_largest_remainder() -> None:
    assert apportion([1.5, 1.5, 1.0], 4) == [2, 1, 1]  # ties go to the first
    assert apportion([1 / 3] * 3, 1) == [1, 0, 0]
    assert apportion([0.6, 0.6, 0.8], 2) == [1, 0, 1]
    assert apportion([2.0, 3.0], 5) == [2, 3]
    assert apportion([], 0) == []


def test_round_rows_conserves_row_and_grand_totals() -> None:
    cells = [[1 / 300, 1 / 300, 1 / 300]] * 3  # nine third-of-a-cent cells: 3 cents in all
    cents = round_rows(cells)
    assert sum(map(sum, cents)) == 3
    assert all(0 <= c <= 1 for row in cents for c in row)
    assert [sum(row) for row in cents] == [1, 1, 1]


def test_spread_proportional_and_even() -> None:
    assert spread(10.0, {"a": 1.0, "b": 3.0}) == {"a": 2.5, "b": 7.5}
    assert spread(10.0, {"a": 0.0, "b": 0.0}) == {"a": 5.0, "b": 5.0}
    assert spread(10.0, {}) == {}
