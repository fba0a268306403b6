"""Property: chargeback rows add up to the cluster's total for any cluster and policy."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.cost.chargeback import GROUP_BYS, IDLE_MODES, SPLITS, Policy
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner
from tests.cost.rowpath import chargeback_rows

DAYS = ("2026-03-01", "2026-03-02", "2026-03-31")
NAMESPACES = ("dev", "staging", "prod", "observability", "kube-system", "vc-sandbox")
TEAMS = ("a", "b", "=evil", "unallocated", "__idle__")  # a real team may clash with the idle row
money_st = st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=5e4, allow_nan=False))
units_st = st.floats(min_value=0.0, max_value=1e7, allow_nan=False)


@st.composite
def owners(draw: st.DrawFn) -> Owner:
    vcluster = draw(st.sampled_from(("", "", "vc1")))
    return Owner(
        namespace=draw(st.sampled_from(NAMESPACES)),
        team=draw(st.sampled_from(TEAMS)),
        vcluster=vcluster,
        virtual_namespace=draw(st.sampled_from(("web", "db"))) if vcluster else "",
    )


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerRow]:
    """Random allocation rows plus random capacity rows (some below what is allocated)."""
    day, resource = st.sampled_from(DAYS), st.sampled_from(COST_RESOURCES)
    allocation = st.builds(LedgerRow, day, owners(), resource, units_st, money_st)
    capacity_owner = Owner(namespace=CAPACITY_NAMESPACE, team="")
    capacity = st.builds(LedgerRow, day, st.just(capacity_owner), resource, units_st, money_st)
    return draw(st.lists(allocation, max_size=40)) + draw(st.lists(capacity, max_size=8))


def cluster_total(ledger: list[LedgerRow], *, idle: str) -> float:
    """Allocated + idle (floored per day and resource), computed independently."""
    allocated: dict[tuple[str, str], float] = {}
    capacity: dict[tuple[str, str], float] = {}
    for row in ledger:
        into = capacity if row.owner.namespace == CAPACITY_NAMESPACE else allocated
        into[(row.day, row.resource)] = into.get((row.day, row.resource), 0.0) + row.cost
    idle_total = math.fsum(max(c - allocated.get(k, 0.0), 0.0) for k, c in capacity.items())
    return math.fsum(allocated.values()) + (0.0 if idle == "ignore" else idle_total)


@settings(max_examples=300, deadline=None)
@given(
    ledger=ledgers(),
    shared=st.frozensets(st.sampled_from(NAMESPACES)),
    idle=st.sampled_from(IDLE_MODES),
    split=st.sampled_from(SPLITS),
    group_by=st.sampled_from(GROUP_BYS),
)
def test_rows_add_up_to_the_cluster_total(
    ledger: list[LedgerRow], shared: frozenset[str], idle: str, split: str, group_by: str
) -> None:
    policy = Policy(currency="EUR", idle=idle, shared_namespaces=shared, split=split)
    rows = chargeback_rows(
        ledger, period="2026-03", cluster="c", group_by=group_by, coverage=1.0, policy=policy
    )
    total = sum(r.total_cents for r in rows) / 100
    # SPEC allows 0.01 per row; largest-remainder rounding keeps it within half a cent overall.
    assert abs(total - cluster_total(ledger, idle=idle)) <= 0.005 + 1e-9 * total
    assert all(min(*r.cost_cents, r.shared_cents, r.idle_cents) >= 0 for r in rows)
    allocated = [r.owner.namespace for r in ledger if r.owner.namespace != CAPACITY_NAMESPACE]
    if group_by != "team" and any(ns not in shared for ns in allocated):
        assert not {r.owner.namespace for r in rows} & shared  # spread, no row of their own


@settings(max_examples=150, deadline=None)
@given(
    ledger=ledgers(),
    shared=st.frozensets(st.sampled_from(NAMESPACES)),
    idle=st.sampled_from(IDLE_MODES),
    split=st.sampled_from(SPLITS),
)
def test_team_totals_agree_between_groupings(
    ledger: list[LedgerRow], shared: frozenset[str], idle: str, split: str
) -> None:
    policy = Policy(idle=idle, shared_namespaces=shared, split=split)
    per_grouping = {}
    for group_by in ("team", "namespace", "vcluster"):
        rows = chargeback_rows(
            ledger, period="2026-03", cluster="c", group_by=group_by, coverage=1.0, policy=policy
        )
        teams: dict[str, int] = {}
        for row in rows:
            teams[row.owner.team] = teams.get(row.owner.team, 0) + row.total_cents
        per_grouping[group_by] = (teams, len(rows))
    by_team, _ = per_grouping["team"]
    for group_by in ("namespace", "vcluster"):
        teams, count = per_grouping[group_by]
        assert teams.keys() == by_team.keys()
        for team, cents in teams.items():
            # each row of the finer grouping may round its cents apart from the team row
            assert abs(cents - by_team[team]) <= count + 1
