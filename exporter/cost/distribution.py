"""Spreading shared and idle cost over rows, and rounding money without losing cents.

Pure arithmetic shared by the ledger and the fleet paths of chargeback.

Shared cost, `split: weighted`: each row gets pool x its own cost / all rows'
own cost. `split: even`: each *team* gets an equal part (as the SPEC says,
"spread over the other teams"), which its rows share by their own cost; so a
team's total is the same whether the CSV is grouped by team or by namespace.
Whenever every weight is zero the split falls back to equal parts per team.

Rounding: every money cell is within one cent of its exact value, each row's
cells add up to its `total_cost`, and the totals add up to the exact cluster
total rounded to the cent (largest-remainder apportionment, twice).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from exporter.cost.records import COST_RESOURCES, Owner

K = TypeVar("K", bound=Hashable)


def _zeros() -> list[float]:
    return [0.0] * len(COST_RESOURCES)


@dataclass(slots=True)
class Usage:
    """Unit-seconds and cost per resource (COST_RESOURCES order) of one owner or row."""

    unit_seconds: list[float] = field(default_factory=_zeros)
    cost: list[float] = field(default_factory=_zeros)

    @classmethod
    def zero(cls) -> Usage:
        """Nothing yet."""
        return cls()

    def total_cost(self) -> float:
        """The cost of all resources."""
        return sum(self.cost)

    def add(self, other: Usage) -> None:
        """Add `other` into this one."""
        for i, value in enumerate(other.unit_seconds):
            self.unit_seconds[i] += value
        for i, value in enumerate(other.cost):
            self.cost[i] += value


def merge(into: dict[K, Usage], key: K, usage: Usage) -> None:
    """Add `usage` to `into[key]`, creating it."""
    into.setdefault(key, Usage.zero()).add(usage)


def spread(amount: float, weights: Mapping[K, float]) -> dict[K, float]:
    """`amount` split in proportion to `weights`; equal parts when they are all zero."""
    if not weights:
        return {}
    positive = {key: max(w, 0.0) for key, w in weights.items()}
    total = sum(positive.values())
    if total <= 0.0:
        return dict.fromkeys(weights, amount / len(weights))
    # w / total first: amount * w can underflow for tiny weights and lose the whole share.
    return {key: amount * (w / total) for key, w in positive.items()}


def even_by_team(amount: float, weights: Mapping[Owner, float]) -> dict[Owner, float]:
    """Equal parts per team, shared inside each team by `weights` (equally if all zero)."""
    by_team: dict[str, dict[Owner, float]] = {}
    for key, weight in weights.items():
        by_team.setdefault(key.team, {})[key] = weight
    shares: dict[Owner, float] = {}
    for team_rows in by_team.values():
        shares.update(spread(amount / len(by_team), team_rows))
    return shares


def spread_over_rows(amount: float, weights: Mapping[Owner, float]) -> dict[Owner, float]:
    """`amount` by `weights`; when they are all zero, equal parts per team (as `even`).

    Both are consistent across groupings: a team gets the same whether its rows are
    namespaces or the team itself.
    """
    if not amount or not weights:
        return {}
    if sum(max(w, 0.0) for w in weights.values()) > 0.0:
        return spread(amount, weights)
    return even_by_team(amount, weights)


def spread_shared(pool: float, rows: Mapping[Owner, Usage], *, split: str) -> dict[Owner, float]:
    """The shared namespaces' `pool` spread over `rows` by `split` (weighted | even)."""
    if not pool or not rows:
        return {}
    weights = {key: usage.total_cost() for key, usage in rows.items()}
    return spread_over_rows(pool, weights) if split == "weighted" else even_by_team(pool, weights)


def spread_idle(amount: float, weights: Mapping[Owner, float]) -> dict[Owner, float]:
    """Idle cost spread by each row's cost before idle (`idle: share`)."""
    return spread_over_rows(amount, weights)


def apportion(values: Sequence[float], target: int) -> list[int]:
    """Integers within 1 of `values` that add up to exactly `target` (largest remainder)."""
    floors = [math.floor(v) for v in values]
    missing = target - sum(floors)
    if not values or not missing:
        return floors
    # Largest fractional part first; index breaks ties so the result is deterministic.
    order = sorted(range(len(values)), key=lambda i: (floors[i] - values[i], i))
    step = 1 if missing > 0 else -1
    if step < 0:
        order.reverse()
    for n in range(abs(missing)):
        floors[order[n % len(order)]] += step
    return floors


def to_cents(amount: float) -> float:
    """Currency to (fractional) cents, with float noise below a micro-cent removed."""
    return round(amount * 100.0, 6)


def round_half_up(value: float) -> int:
    """Commercial rounding, not banker's: 0.5 cent goes up."""
    return math.floor(value + 0.5)


def round_rows(cells: Sequence[Sequence[float]]) -> list[list[int]]:
    """Money cells (currency) of every row rounded to cents that conserve the sums.

    Row totals are apportioned to the rounded grand total first, then each row's
    cells to its rounded total: both the per-row identity and the grand total hold.
    """
    exact = [[to_cents(c) for c in row] for row in cells]
    row_totals = [sum(row) for row in exact]
    grand = round_half_up(sum(row_totals))
    rounded_totals = apportion(row_totals, grand)
    return [apportion(row, total) for row, total in zip(exact, rounded_totals, strict=True)]
