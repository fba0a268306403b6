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
from typing import NamedTuple

from exporter.cost.chargeback import IDLE_TEAM, ChargebackRow
from exporter.cost.distribution import apportion
from exporter.cost.records import CAPACITY_NAMESPACE, COST_RESOURCES, LedgerRow, Owner

MICROS_PER_CENT = 10_000  # money in FOCUS rows: millionths of the currency
CHARGES = ("usage", "shared", "idle")
IDLE_OWNER = Owner(namespace="", team=IDLE_TEAM)  # the chargeback's `__idle__` row

_RESOURCE = {name: i for i, name in enumerate(COST_RESOURCES)}
Cell = tuple[str, int]  # (UTC day, index in COST_RESOURCES)
Sums = dict[Cell, list[float]]  # cell -> [unit-seconds, cost]


@dataclass(frozen=True, slots=True, eq=False)
class FocusLine:
    """One owner x resource x charge, which its day rows share. Compared by identity:
    the renderer keeps the line's fixed cells by it without hashing its fields."""

    owner: Owner  # IDLE_OWNER for the idle row's own charges
    resource: str  # one of COST_RESOURCES
    charge: str  # one of CHARGES


class FocusRow(NamedTuple):
    """One UTC day of a FocusLine; money in integer millionths. A named tuple, not a
    frozen dataclass: a month of 5,000 namespaces has two million of them, and a tuple
    is made three times faster."""

    day: str  # YYYY-MM-DD
    line: FocusLine
    hours: float  # unit-hours: core-, GiB- or GPU-hours
    micros: int

    @property
    def owner(self) -> Owner:
        """The line's owner."""
        return self.line.owner

    @property
    def resource(self) -> str:
        """The line's resource."""
        return self.line.resource

    @property
    def charge(self) -> str:
        """The line's charge: usage, shared or idle."""
        return self.line.charge

    def sort_key(self) -> tuple[str, str, str, str, str, int, int]:
        """File order: day, then namespace, vcluster, team, charge, resource."""
        o = self.line.owner
        return (self.day, *_owner_order(o), CHARGES.index(self.line.charge),
                _RESOURCE[self.line.resource])  # fmt: skip


def _owner_order(owner: Owner) -> tuple[str, str, str, str]:
    return (owner.namespace, owner.vcluster, owner.virtual_namespace, owner.team)


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
    """The month's FOCUS rows in file order; their micros add up to each chargeback cell.

    ``chargeback`` must be grouped by vcluster (one row per owner); ``first_day``
    (YYYY-MM-DD) takes money whose cell shows no day it arose on, which a ledger read
    in one snapshot never has."""
    shared_total = sum(row.shared_cents for row in chargeback)
    idle_total = sum(row.idle_cents for row in chargeback)
    pool, idle = _Cells.of(profiles.pool), _Cells.of(profiles.idle)
    out = _Days(first_day)
    for row in sorted(chargeback, key=lambda row: _owner_order(row.owner)):
        owner = row.owner
        if owner == IDLE_OWNER:  # the idle capacity itself: all of it, by day
            out.add(owner, "idle", idle, row.idle_cents, fraction=1.0)
            continue
        own = profiles.owners.get(owner, {})
        for r, cents in enumerate(row.cost_cents):
            cells = _Cells.of({cell: sums for cell, sums in own.items() if cell[1] == r})
            out.add(owner, "usage", cells, cents, fraction=1.0, resource=r)
        for charge, cents, total, cells in (
            ("shared", row.shared_cents, shared_total, pool),
            ("idle", row.idle_cents, idle_total, idle),
        ):
            if cents:
                out.add(owner, charge, cells, cents, fraction=cents / total)
    return out.rows()


@dataclass(frozen=True, slots=True)
class _Cells:
    """Cells of one profile in line order (resource, then day), with their unit-hours
    and cost: prepared once, then shared by every owner that takes a part of them."""

    cells: tuple[Cell, ...]
    hours: tuple[float, ...]
    cost: tuple[float, ...]

    @classmethod
    def of(cls, sums: Sums) -> _Cells:
        ordered = sorted(sums.items(), key=lambda item: (item[0][1], item[0][0]))
        return cls(tuple(cell for cell, _ in ordered),
                   tuple(s[0] / 3600.0 for _, s in ordered),
                   tuple(s[1] for _, s in ordered))  # fmt: skip


class _Days:
    """FocusRows collected per day; lines added in file order come out in file order."""

    def __init__(self, first_day: str) -> None:
        self.first_day = first_day
        self._days: dict[str, list[FocusRow]] = {}

    def add(self, owner: Owner, charge: str, cells: _Cells, cents: int, *, fraction: float,
            resource: int = 0) -> None:  # fmt: skip
        """An owner's ``fraction`` of the cells' unit-hours, and ``cents`` spread over
        them by cost (or on ``resource`` of the first day when there is no cell)."""
        parts = split(cents * MICROS_PER_CENT, cells.cost)
        line: FocusLine | None
        if not cells.cells:
            if cents:
                line = FocusLine(owner, COST_RESOURCES[resource], charge)
                self._put(self.first_day, line, 0.0, parts[0])
            return
        line, line_resource = None, -1
        for (day, r), hours, micros in zip(cells.cells, cells.hours, parts, strict=True):
            if micros or (hours > 0.0 and fraction > 0.0):
                if r != line_resource:  # cells come resource by resource
                    line, line_resource = FocusLine(owner, COST_RESOURCES[r], charge), r
                self._put(day, line, hours * fraction, micros)

    def _put(self, day: str, line: FocusLine | None, hours: float, micros: int) -> None:
        assert line is not None
        bucket = self._days.get(day) or self._days.setdefault(day, [])
        bucket.append(FocusRow(day, line, hours, micros))

    def rows(self) -> list[FocusRow]:
        """Every row: by day, and within a day in the order the lines were added."""
        return [row for day in sorted(self._days) for row in self._days[day]]


def split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` (an integer amount) in parts proportional to ``weights``, adding up to
    ``total`` exactly (largest remainder). Zero weights get nothing, unless every weight
    is zero: then equal parts. With no weight at all, ``[total]``: one part to place."""
    if not weights:
        return [total]
    if not total:
        return [0] * len(weights)
    positive = [max(w, 0.0) for w in weights]
    weight = math.fsum(positive)
    if weight <= 0.0:
        positive, weight = [1.0] * len(weights), float(len(weights))
    return apportion([total * (w / weight) for w in positive], total)
