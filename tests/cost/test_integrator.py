"""Exact integration with literal timestamps: intervals, rate changes, midnight splits,
the start of observation, and pending amounts handed to the ledger."""

from __future__ import annotations

import pytest

from exporter.cost.allocation import Entry
from exporter.cost.integrator import DORMANT_AFTER, Integrator
from exporter.cost.records import Owner

from .costhelpers import HOUR, T0

DEV = Owner("dev", "agents")
CORE = 10**9


def cpu(cores: float, price: float = 0.03, owner: Owner = DEV) -> tuple[Entry, ...]:
    return (Entry(owner, "cpu", price, int(cores * CORE)),)


def costs(integrator: Integrator, now: float) -> dict[tuple[str, str], tuple[float, float]]:
    """(day, namespace) -> (unit-seconds, cost) pending at ``now``."""
    return {
        (r.day, r.owner.namespace): (r.unit_seconds, r.cost) for r in integrator.pending(now).rows
    }


def started(now: float = T0) -> Integrator:
    integrator = Integrator()
    integrator.start(now)
    return integrator


def test_two_cores_for_ninety_minutes_at_three_cents_cost_nine_cents() -> None:
    integrator = started()
    integrator.set("pod", cpu(2), T0)
    integrator.remove("pod", T0 + 1.5 * HOUR)
    ((unit_seconds, cost),) = costs(integrator, T0 + 5 * HOUR).values()
    assert cost == pytest.approx(0.09, abs=1e-12)
    assert unit_seconds == pytest.approx(2 * 1.5 * HOUR)


def test_a_rate_change_closes_the_interval_before_it() -> None:
    integrator = started()
    integrator.set("pod", cpu(1), T0)
    integrator.set("pod", cpu(3), T0 + HOUR)  # 1 core for 1 h, then 3 cores for 1 h
    assert costs(integrator, T0 + 2 * HOUR)[("2026-03-31", "dev")][1] == pytest.approx(0.12)


def test_an_unchanged_charge_is_no_work() -> None:
    integrator = started()
    assert integrator.set("pod", cpu(1), T0)
    assert not integrator.set("pod", cpu(1), T0 + 10)


def test_an_interval_across_midnight_is_split_between_the_days() -> None:
    integrator = started()
    integrator.set("pod", cpu(1, price=0.036), T0 + 3 * HOUR)  # 23:00
    found = costs(integrator, T0 + 4.5 * HOUR)  # 00:30 the next day (and month)
    assert found[("2026-03-31", "dev")] == pytest.approx((3600.0, 0.036))
    assert found[("2026-04-01", "dev")] == pytest.approx((1800.0, 0.018))


def test_the_same_owner_on_nodes_of_different_prices() -> None:
    integrator = started()
    integrator.set("a", cpu(1, price=0.04), T0)
    integrator.set("b", cpu(1, price=0.01), T0)
    integrator.remove("a", T0 + HOUR)
    (account,) = [a for _, _, a in integrator.accounts()]
    assert account.cost_per_hour == pytest.approx(0.01)
    assert costs(integrator, T0 + 2 * HOUR)[("2026-03-31", "dev")][1] == pytest.approx(0.06)


def test_rates_return_to_exactly_zero_after_many_changes() -> None:
    integrator = started()
    for i in range(1000):
        integrator.set(i, cpu(0.001 * (i % 7 + 1), price=0.1 + i % 3 * 0.013), T0 + i)
    for i in range(1000):
        integrator.remove(i, T0 + 2000)
    (account,) = [a for _, _, a in integrator.accounts()]
    assert (account.amount, account.cost_per_hour) == (0, 0.0)


def test_nothing_accrues_before_start_and_observation_begins_there() -> None:
    integrator = Integrator()
    integrator.set("pod", cpu(1, price=0.06), T0)
    assert costs(integrator, T0 + HOUR) == {}
    integrator.start(T0 + HOUR)
    batch = integrator.pending(T0 + 2 * HOUR)
    assert [r.cost for r in batch.rows] == pytest.approx([0.06])
    assert [(c.day, c.observed_seconds) for c in batch.coverage] == [("2026-03-31", 3600.0)]


def test_a_clock_going_backwards_never_counts_time_twice() -> None:
    integrator = started()
    integrator.set("pod", cpu(1, price=3.6), T0)
    integrator.close_all(T0 + 100)
    integrator.close_all(T0 + 50)  # the wall clock stepped back
    integrator.close_all(T0 + 200)
    assert costs(integrator, T0 + 200)[("2026-03-31", "dev")][1] == pytest.approx(0.2)


def test_committed_amounts_leave_pending_and_later_ones_stay() -> None:
    integrator = started()
    integrator.set("pod", cpu(1, price=3.6), T0)
    batch = integrator.pending(T0 + 10)
    integrator.committed(batch)
    assert integrator.pending(T0 + 10).rows == ()
    assert integrator.pending(T0 + 10).coverage == ()
    assert [r.cost for r in integrator.pending(T0 + 30).rows] == pytest.approx([0.02])


def test_a_batch_committed_after_more_accrued_keeps_the_rest() -> None:
    integrator = started()
    integrator.set("pod", cpu(1, price=3.6), T0)
    batch = integrator.pending(T0 + 10)
    integrator.close_all(T0 + 25)  # accrues while the batch is being written
    integrator.committed(batch)
    assert [r.cost for r in integrator.pending(T0 + 25).rows] == pytest.approx([0.015])


def test_cost_total_counts_since_start_and_dormant_accounts_are_forgotten() -> None:
    integrator = started()
    integrator.set("pod", cpu(1, price=3.6), T0)
    integrator.remove("pod", T0 + 100)
    (account,) = [a for _, _, a in integrator.accounts()]
    assert account.cost_total == pytest.approx(0.1)
    integrator.committed(integrator.pending(T0 + 200))
    assert len(list(integrator.accounts())) == 1  # recently active: kept
    integrator.committed(integrator.pending(T0 + 100 + DORMANT_AFTER))
    assert list(integrator.accounts()) == []


def test_a_line_with_one_active_owner_keeps_its_dormant_ones() -> None:
    integrator = started()
    vcluster = Owner("dev", "agents", "vc", "web")
    integrator.set("a", cpu(1, owner=vcluster), T0)
    integrator.set("b", cpu(1), T0)
    integrator.remove("a", T0 + 10)
    integrator.committed(integrator.pending(T0 + 10 + DORMANT_AFTER))
    assert len(list(integrator.accounts())) == 2  # same (namespace, team, cpu) line
