"""What every printer's cells share: the row type, NAME and AGE, and quantity text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quotasim.quantities import Quantity, QuantityError
from quotasim.tables.durations import since

Cells = list[Any]


def name_of(obj: dict) -> str:
    """The NAME cell: metadata.name, "" when missing."""
    return (obj.get("metadata") or {}).get("name", "")


def age_of(obj: dict, now: datetime) -> str:
    """The AGE cell: the HumanDuration since metadata.creationTimestamp."""
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)


def quantity_text(value: object) -> str:
    """Quantity.String() of a stored value; a missing one is the zero quantity, "0"."""
    try:
        return str(Quantity.decode(value))
    except QuantityError:
        return str(value)  # the real server would never have stored it
