"""Compact values for records: interned text, shared tuples and resource tuples.

A resource list is kept as a sorted tuple of (name, nanos) instead of a dict of
Quantity objects: a tenth of the memory, hashable, and identical for every pod of one
template, so one shared copy serves them all.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar, cast

from exporter.model.quantities import Quantity, QuantityError, resource_from_json

__all__ = [
    "EMPTY",
    "MAX_MONEY",
    "Resources",
    "as_mapping",
    "first_label",
    "intern_text",
    "mapping_or_empty",
    "parse_money",
    "parse_resources",
    "pick_pairs",
    "resource_value",
    "resources_dict",
    "share",
    "to_resources",
]

Resources = tuple[tuple[str, int], ...]  # (resource name, nanos), sorted by name
EMPTY: Resources = ()

_H = TypeVar("_H", bound=Hashable)
_M = TypeVar("_M", bound=Mapping[str, object])

# Pods of one template decode to equal tuples; keeping the first and handing it out
# again turns thousands of copies into one. Cleared when full, so churn of distinct
# values cannot grow it without bound (a cleared cache only costs sharing, not results).
_SHARED: dict[object, object] = {}
_SHARED_LIMIT = 1 << 16


def share(value: _H) -> _H:
    """Return a canonical instance equal to ``value`` (hashable), sharing repeats."""
    found = _SHARED.get(value)
    if found is None:
        if len(_SHARED) >= _SHARED_LIMIT:
            _SHARED.clear()
        _SHARED[value] = found = value
    # found == value; what is shared (resource tuples of str and int, containers, scope
    # facts) only ever meets equal values of its own type, so found has value's type.
    return cast(_H, found)


def intern_text(text: str) -> str:
    """Intern a repeated string (namespace, resource name, phase, label value)."""
    return sys.intern(text)


def to_resources(quantities: Mapping[str, Quantity]) -> Resources:
    """A shared, sorted (name, nanos) tuple from a name -> Quantity mapping."""
    if not quantities:
        return EMPTY
    return share(tuple(sorted((intern_text(k), q.nanos) for k, q in quantities.items())))


def parse_resources(raw: object) -> Resources:
    """Parse a raw ResourceList (name -> quantity); QuantityError names the bad entry,
    including amounts out of range (see ``resource_from_json``).

    Raises TypeError when ``raw`` is not a mapping.
    """
    if not raw:
        return EMPTY
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected a resource list, got {type(raw).__name__}")
    parsed = {}
    for name, value in raw.items():
        try:
            parsed[str(name)] = resource_from_json(value)
        except QuantityError as e:
            raise QuantityError(f"{name}: {e}") from e
    return to_resources(parsed)


def resource_value(resources: Resources, name: str) -> int | None:
    """The nanos of one resource, or None when it is absent."""
    for key, nanos in resources:
        if key == name:
            return nanos
    return None


def resources_dict(resources: Resources) -> dict[str, Quantity]:
    """Back to a name -> Quantity dict, for the functions of model.quotas."""
    return {name: Quantity(nanos, "DecimalSI") for name, nanos in resources}


def first_label(labels: Mapping[str, object], keys: tuple[str, ...]) -> str | None:
    """The value of the first of ``keys`` present in ``labels``; empty values are absent."""
    for key in keys:
        value = labels.get(key)
        if value:
            return intern_text(str(value))
    return None


def pick_pairs(values: Mapping[str, object], keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The (key, value) pairs of ``values`` for ``keys`` that are present, in ``keys`` order."""
    return tuple((intern_text(k), intern_text(str(values[k]))) for k in keys if values.get(k))


def as_mapping(value: _M | None) -> _M:
    """A body field that must be a mapping: {} when null; TypeError when not a mapping."""
    if type(value) is dict:  # what JSON decodes to: skip the slower ABC check
        return value
    if value is None:
        return cast(_M, {})  # every body TypedDict is total=False: {} is one of each
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return value


def mapping_or_empty(value: _M | None) -> _M:
    """A body field read leniently (an object's status, say): the value when it is a
    mapping, else {}; absent (a status not written yet) or not a mapping."""
    # {} is a value of every body TypedDict, as in as_mapping
    return value if type(value) is dict or isinstance(value, Mapping) else cast(_M, {})


MAX_MONEY = Decimal(10**15)  # a quadrillion: past any budget, and exact as a float


def parse_money(raw: object) -> Decimal | None:
    """A non-negative amount of money from an annotation; None when absent.

    Raises ValueError for anything else (not a number, negative, infinite, over
    MAX_MONEY: 1e309 is a finite Decimal but an infinite float).
    """
    if raw is None:
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as e:
        raise ValueError(f"not an amount: {raw!r}") from e
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a non-negative amount: {raw!r}")
    if value > MAX_MONEY:
        raise ValueError(f"amount {raw!r} over the limit of {MAX_MONEY:.0e}")
    return value
