"""UTC calendar arithmetic on Unix timestamps: days, months, and splitting intervals.

Unix time has no leap seconds, so every UTC day is exactly 86,400 s and day ``n``
starts at ``n * 86400``. Cost is kept per UTC day, and an interval that crosses a
midnight is split there, so a month is the exact sum of its days.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600.0
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


def day_index(timestamp: float) -> int:
    """The number of the UTC day holding ``timestamp`` (day 0 is 1970-01-01)."""
    return int(timestamp // SECONDS_PER_DAY)


@lru_cache(maxsize=4096)
def day_key(index: int) -> str:
    """The ``YYYY-MM-DD`` name of UTC day ``index``."""
    return datetime.fromtimestamp(index * SECONDS_PER_DAY, UTC).strftime("%Y-%m-%d")


def split_by_day(start: float, end: float) -> Iterator[tuple[str, float]]:
    """(day, seconds) pieces of ``[start, end)``, cut at each UTC midnight; nothing
    when ``end <= start``."""
    if end <= start:
        return
    day = day_index(start)
    while True:
        midnight = (day + 1) * SECONDS_PER_DAY
        if end <= midnight:
            yield day_key(day), end - start
            return
        yield day_key(day), midnight - start
        start, day = midnight, day + 1


def month_of(timestamp: float) -> str:
    """The ``YYYY-MM`` of the UTC month holding ``timestamp``."""
    return day_key(day_index(timestamp))[:7]


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of a ``YYYY-MM`` string; ValueError names the bad value."""
    match = _MONTH_RE.fullmatch(month) if isinstance(month, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise ValueError(f"month must be YYYY-MM (1970 or later), got {month!r}")
    return int(match[1]), int(match[2])


def month_bounds(month: str) -> tuple[float, float]:
    """Unix timestamps of the first instant of ``month`` and of the next month."""
    year, number = parse_month(month)
    start = calendar.timegm((year, number, 1, 0, 0, 0))
    days = calendar.monthrange(year, number)[1]
    return float(start), float(start + days * SECONDS_PER_DAY)


def month_day_range(month: str) -> tuple[str, str]:
    """(first day, first day of the next month) as ``YYYY-MM-DD``, for range queries."""
    start, end = month_bounds(month)
    return day_key(day_index(start)), day_key(day_index(end))


def elapsed_in_month(month: str, now: float) -> float:
    """Seconds of ``month`` that have passed at ``now`` (0 before it, all of it after)."""
    start, end = month_bounds(month)
    return max(0.0, min(now, end) - start)


def hours_left_in_month(now: float) -> float:
    """Hours from ``now`` to the end of its UTC month."""
    _, end = month_bounds(month_of(now))
    return (end - now) / SECONDS_PER_HOUR
