"""The metrics.k8s.io printer, served by metrics-server, whose convertor builds the
columns from the data: one per resource in the first item's usage."""

from __future__ import annotations

from datetime import datetime

from quotasim.quantities import ZERO, Quantity, QuantityError
from quotasim.tables.cells import Cells, name_of
from quotasim.tables.columns import col


def metrics_columns(items: list[dict]) -> list[dict]:
    """Name, one quantity column per resource the first item uses, and Window."""
    if not items:
        return []
    names = sorted(_metrics_usage(items[0]))
    return [
        col("Name", "string", "Name of the resource", fmt="name"),
        *(col(n, "string", "", fmt="quantity") for n in names),
        col("Window", "string", "", fmt="duration"),
    ]


def metrics_cells(obj: dict, now: datetime, columns: list[dict]) -> Cells:
    """An item's usage in the columns built from the first item; missing ones are 0."""
    usage = _metrics_usage(obj)
    names = [c["name"] for c in columns[1:-1]]
    return [name_of(obj), *(str(usage.get(n, ZERO)) for n in names), obj.get("window") or "0s"]


def _metrics_usage(obj: dict) -> dict[str, Quantity]:
    """A NodeMetrics' usage, or a PodMetrics' usage summed over its containers."""
    if "containers" in obj:
        usages = [c.get("usage") or {} for c in obj["containers"] or []]
    else:
        usages = [obj.get("usage") or {}]
    total: dict[str, Quantity] = {}
    for usage in usages:
        for name, value in usage.items():
            try:
                total[name] = total.get(name, ZERO) + Quantity.decode(value)
            except QuantityError:
                continue
    return total
