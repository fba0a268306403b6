"""FOCUS rows of one month: each chargeback cell spread over the UTC days it arose on.

Pure. In: the month's chargeback rows grouped by vcluster (one per owner, plus the
``__idle__`` row when idle is separate) and the month's ledger rows (one per UTC day x
owner x resource, capacity rows included). Out: one ``FocusRow`` per day x owner x
resource x charge, where the charge is the owner's own ``usage``, its part of the
``shared`` namespaces, or ``idle`` capacity (its part of it, or the idle row's).

Rounding. The chargeback has already rounded every money cell to cents so that the
cells add up to the month's total rounded to the cent (largest remainder; see
``distribution.round_rows``). Each cell is now split over its days, in millionths of
the currency and again by largest remainder, in proportion to where that money arose:

- a usage cell (owner x resource) by the owner's cost of each day;
- a shared cell by the shared namespaces' cost of each day x resource: the month's
  split gives every team one fraction of the whole pool, so of each day's pool too;
- an idle cell by the idle cost of each day x resource, idle being floored per day.

So the day rows of a cell add up to that cell exactly: the FOCUS month equals the
chargeback CSV row by row and in total, to the cent, and each day is within a
millionth of its share of its cell. Quantities are never rounded here: a usage row has
the owner's own unit-hours of that day, a shared or idle row the pool's unit-hours of
that day times the owner's fraction of the pool's money.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exporter.cost.chargeback import IDLE_TEAM, ChargebackRow
from exporter.cost.distribution import apportion
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner

MICROS_PER_CENT = 10_000  # money in FOCUS rows: millionths of the currency
CHARGES = ("usage", "shared", "idle")
IDLE_OWNER = Owner(namespace="", team=IDLE_TEAM)  # the chargeback's `__idle__` row

_RESOURCE = {name: i for i, name in enumerate(COST_RESOURCES)}
Cell = tuple[str, int]  # (UTC day, index in COST_RESOURCES)
Sums = dict[Cell, list[float]]  # cell -> [unit-seconds, cost]


@dataclass(frozen=True, slots=True)
class FocusRow:
    """One UTC day x owner x resource x charge; money in integer millionths."""

    day: str  # YYYY-MM-DD
    owner: Owner  # IDLE_OWNER for the idle row's own charges
    resource: str  # one of COST_RESOURCES
    charge: str  # one of CHARGES
    hours: float  # unit-hours: core-, GiB- or GPU-hours
    micros: int

    def sort_key(self) -> tuple[str, str, str, str, str, int, int]:
        """File order: day, then namespace, vcluster, team, charge, resource."""
        o = self.owner
        return (self.day, o.namespace, o.vcluster, o.virtual_namespace, o.team,
                CHARGES.index(self.charge), _RESOURCE[self.resource])  # fmt: skip


@dataclass(slots=True)
class DayProfiles:
    """Where a month's money arose: per owner, for the shared pool, and idle, by cell."""

    owners: dict[Owner, Sums] = field(default_factory=dict)
    pool: Sums = field(default_factory=dict)  # the shared namespaces together
    idle: Sums = field(default_factory=dict)  # capacity - allocated, floored per cell

    @classmethod
    def of(cls, rows: Iterable[LedgerRow], *, shared: frozenset[str]) -> DayProfiles:
        """The profiles of a month's ledger rows (capacity rows included)."""
        profiles = cls()
        allocated: Sums = {}
        capacity: Sums = {}
        for row in rows:
            r = _RESOURCE.get(row.resource)
            if r is None:
                continue  # not a cost resource: the chargeback has no cell for it
            cell = (row.day, r)
            if row.owner.namespace == CAPACITY_NAMESPACE:
                _add(capacity, cell, row)
                continue
            _add(profiles.owners.setdefault(row.owner, {}), cell, row)
            _add(allocated, cell, row)
            if row.owner.namespace in shared:
                _add(profiles.pool, cell, row)
        for cell, (cap_units, cap_cost) in capacity.items():
            units, cost = allocated.get(cell, (0.0, 0.0))
            profiles.idle[cell] = [max(cap_units - units, 0.0), max(cap_cost - cost, 0.0)]
        return profiles


def _add(sums: Sums, cell: Cell, row: LedgerRow) -> None:
    acc = sums.get(cell) or sums.setdefault(cell, [0.0, 0.0])
    acc[0] += row.unit_seconds
    acc[1] += row.cost


def focus_rows(
    chargeback: Sequence[ChargebackRow], profiles: DayProfiles, *, first_day: str
) -> list[FocusRow]:
    """The month's FOCUS rows, sorted; their micros add up to each chargeback cell.

    ``chargeback`` must be grouped by vcluster (one row per owner); ``first_day``
    (YYYY-MM-DD) takes money whose cell shows no day it arose on, which a ledger read
    in one snapshot never has."""
    shared_total = sum(row.shared_cents for row in chargeback)
    idle_total = sum(row.idle_cents for row in chargeback)
    out: list[FocusRow] = []
    for row in chargeback:
        owner = row.owner
        if owner == IDLE_OWNER:  # the idle capacity itself: all of it, by day
            out += _pool_rows(owner, "idle", row.idle_cents, 1.0, profiles.idle, first_day)
            continue
        own = profiles.owners.get(owner, {})
        for r, cents in enumerate(row.cost_cents):
            out += _usage_rows(owner, r, cents, own, first_day)
        for charge, cents, total, pool in (
            ("shared", row.shared_cents, shared_total, profiles.pool),
            ("idle", row.idle_cents, idle_total, profiles.idle),
        ):
            if cents:
                out += _pool_rows(owner, charge, cents, cents / total, pool, first_day)
    out.sort(key=FocusRow.sort_key)
    return out


def _usage_rows(owner: Owner, r: int, cents: int, own: Sums, first_day: str) -> list[FocusRow]:
    """An owner's resource: its unit-hours of each day, the cell's money by day cost."""
    cells = sorted((cell, sums) for cell, sums in own.items() if cell[1] == r)
    money = split(cents * MICROS_PER_CENT, [(c, s[1]) for c, s in cells], fallback=(first_day, r))
    units = {cell: sums[0] for cell, sums in cells}
    return _rows(owner, "usage", money, {c: u / 3600.0 for c, u in units.items()})


def _pool_rows(
    owner: Owner, charge: str, cents: int, fraction: float, pool: Sums, first_day: str
) -> list[FocusRow]:
    """An owner's part (``fraction``) of a pool of cells, the money by each cell's cost."""
    cells = sorted(pool.items())
    money = split(cents * MICROS_PER_CENT, [(c, s[1]) for c, s in cells], fallback=(first_day, 0))
    hours = {cell: sums[0] / 3600.0 * fraction for cell, sums in cells}
    return _rows(owner, charge, money, hours)


def _rows(
    owner: Owner, charge: str, money: dict[Cell, int], hours: dict[Cell, float]
) -> list[FocusRow]:
    """Rows for the cells that carry money or a quantity."""
    cells = sorted(set(money) | {cell for cell, h in hours.items() if h > 0.0})
    found = []
    for day, r in cells:
        quantity, micros = hours.get((day, r), 0.0), money.get((day, r), 0)
        found.append(FocusRow(day, owner, COST_RESOURCES[r], charge, quantity, micros))
    return found


def split(total: int, weights: Sequence[tuple[Cell, float]], *, fallback: Cell) -> dict[Cell, int]:
    """``total`` (an integer amount) spread over cells in proportion to their weights,
    with largest remainder so the parts add up to ``total`` exactly. Cells of zero
    weight get nothing unless every weight is zero (then equal parts), and with no
    cell at all everything goes to ``fallback``."""
    if not total:
        return {}
    positive = [(cell, w) for cell, w in weights if w > 0.0]
    if not positive:
        positive = [(cell, 1.0) for cell, _ in weights] or [(fallback, 1.0)]
    weight = math.fsum(w for _, w in positive)
    parts = apportion([total * (w / weight) for _, w in positive], total)
    return {cell: part for (cell, _), part in zip(positive, parts, strict=True) if part}
