"""FOCUS day rows: each chargeback cell spread over its days, exact to the cent."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.cost.chargeback import IDLE_MODES, SPLITS, ChargebackRow, Policy
from exporter.cost.focusrows import (
    IDLE_OWNER,
    MICROS_PER_CENT,
    DayProfiles,
    FocusRow,
    focus_rows,
    split,
)
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner
from tests.cost.rowpath import chargeback_rows
from tests.cost.test_chargeback_conservation import NAMESPACES, ledgers

A, B = Owner("dev", "a"), Owner("web", "b")
OBS = Owner("observability", "platform")
CAPACITY = Owner(CAPACITY_NAMESPACE, "")
HOUR = 3600.0


def day_rows(ledger: list[LedgerRow], policy: Policy) -> tuple[list[ChargebackRow], list[FocusRow]]:
    """The month's chargeback (by vcluster) and its FOCUS day rows."""
    rows = chargeback_rows(
        ledger, period="2026-03", cluster="c", group_by="vcluster", coverage=1.0, policy=policy
    )
    profiles = DayProfiles.of(ledger, shared=policy.shared_namespaces)
    return rows, focus_rows(rows, profiles, first_day="2026-03-01")


def test_two_days_with_a_shared_namespace_and_idle_capacity() -> None:
    ledger = [
        LedgerRow("2026-03-01", A, "cpu", 1 * HOUR, 1.0),
        LedgerRow("2026-03-01", B, "cpu", 2 * HOUR, 2.0),
        LedgerRow("2026-03-01", OBS, "cpu", 1 * HOUR, 1.0),
        LedgerRow("2026-03-01", CAPACITY, "cpu", 10 * HOUR, 5.0),  # 1.00 idle, 6 core-hours
        LedgerRow("2026-03-02", A, "cpu", 1 * HOUR, 1.0),
        LedgerRow("2026-03-02", B, "cpu", 2 * HOUR, 2.0),
        LedgerRow("2026-03-02", OBS, "cpu", 2 * HOUR, 2.0),
        LedgerRow("2026-03-02", CAPACITY, "cpu", 5 * HOUR, 5.0),  # fully allocated
    ]
    rows, lines = day_rows(ledger, Policy(shared_namespaces=frozenset({"observability"})))
    got = [(r.day, r.owner.team, r.charge, round(r.hours, 6), r.micros) for r in lines]
    # The pool (1.00, then 2.00) goes 1:2 to a and b, by their month's own cost; each
    # team's share follows the pool's days, so a's 1.00 is 0.333333 + 0.666667, the
    # millionth left over going to the larger remainder.
    assert got == [
        ("2026-03-01", "__idle__", "idle", 6.0, 1_000_000),
        ("2026-03-01", "a", "usage", 1.0, 1_000_000),
        ("2026-03-01", "a", "shared", 0.333333, 333_333),
        ("2026-03-01", "b", "usage", 2.0, 2_000_000),
        ("2026-03-01", "b", "shared", 0.666667, 666_667),
        ("2026-03-02", "a", "usage", 1.0, 1_000_000),
        ("2026-03-02", "a", "shared", 0.666667, 666_667),
        ("2026-03-02", "b", "usage", 2.0, 2_000_000),
        ("2026-03-02", "b", "shared", 1.333333, 1_333_333),
    ]
    assert sum(r.total_cents for r in rows) == 1000
    assert sum(r.micros for r in lines) == 1000 * MICROS_PER_CENT


def test_idle_shared_by_cost_follows_the_days_capacity_was_idle() -> None:
    ledger = [
        LedgerRow("2026-03-01", A, "memory", 10 * HOUR, 1.0),
        LedgerRow("2026-03-01", B, "memory", 10 * HOUR, 3.0),
        LedgerRow("2026-03-01", CAPACITY, "memory", 40 * HOUR, 6.0),  # 2.00 idle, 20 GiB-h
        LedgerRow("2026-03-02", CAPACITY, "gpu", 1 * HOUR, 2.0),  # 2.00 idle, one GPU-hour
    ]
    rows, lines = day_rows(ledger, Policy(idle="share"))
    idle = [(r.day, r.owner.team, r.resource, round(r.hours, 6), r.micros)
            for r in lines if r.charge == "idle"]  # fmt: skip
    assert idle == [  # a pays 1/4 of the idle 4.00, b 3/4, each on both days
        ("2026-03-01", "a", "memory", 5.0, 500_000),
        ("2026-03-01", "b", "memory", 15.0, 1_500_000),
        ("2026-03-02", "a", "gpu", 0.25, 500_000),
        ("2026-03-02", "b", "gpu", 0.75, 1_500_000),
    ]
    assert [r.idle_cents for r in rows] == [100, 300]


def test_split_is_exact_and_falls_back_when_no_cell_has_weight() -> None:
    assert split(100, [1.0, 1.0, 1.0]) == [34, 33, 33]
    assert split(10, [0.0, 3.0, 1.0]) == [0, 8, 2]  # a cell of no weight gets nothing
    assert split(7, [0.0, 0.0, 0.0]) == [3, 2, 2]  # unless none has weight
    assert split(7, []) == [7]  # no cell: one part, which the caller places
    assert split(0, [1.0, 2.0]) == [0, 0]


policies = st.builds(
    Policy,
    idle=st.sampled_from(IDLE_MODES),
    shared_namespaces=st.frozensets(st.sampled_from(NAMESPACES)),
    split=st.sampled_from(SPLITS),
)


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers(), policy=policies)
def test_day_rows_add_up_to_every_chargeback_cell(ledger: list[LedgerRow], policy: Policy) -> None:
    rows, lines = day_rows(ledger, policy)
    assert sum(r.micros for r in lines) == sum(r.total_cents for r in rows) * MICROS_PER_CENT
    assert all(r.micros >= 0 and r.hours >= 0.0 for r in lines)
    assert len({(r.day, r.owner, r.resource, r.charge) for r in lines}) == len(lines)
    assert lines == sorted(lines, key=FocusRow.sort_key)
    for row in rows:
        mine = [r for r in lines if r.owner == row.owner]
        if row.owner == IDLE_OWNER:
            assert {r.charge for r in mine} <= {"idle"}
            assert sum(r.micros for r in mine) == row.total_cents * MICROS_PER_CENT
            continue
        for i, resource in enumerate(COST_RESOURCES):
            usage = [r for r in mine if r.charge == "usage" and r.resource == resource]
            assert sum(r.micros for r in usage) == row.cost_cents[i] * MICROS_PER_CENT
            assert math.isclose(sum(r.hours for r in usage), row.hours[i], rel_tol=1e-9,
                                abs_tol=1e-9)  # fmt: skip
        for charge, cents in (("shared", row.shared_cents), ("idle", row.idle_cents)):
            part = sum(r.micros for r in mine if r.charge == charge)
            assert part == cents * MICROS_PER_CENT
