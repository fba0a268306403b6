"""Durations and timestamps as the printers show them (HumanDuration, translateTimestampSince)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal


def human_duration(value: float | Decimal | timedelta) -> str:
    """Format a duration (seconds or timedelta) like apimachinery's duration.HumanDuration."""
    ns = _nanoseconds(value)
    seconds = ns // 10**9 if ns >= 0 else -(-ns // 10**9)  # Go truncates toward zero
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"  # up to 2s in the future: clock skew, call it now
    if seconds < 60 * 2:
        return f"{seconds}s"
    return _minutes_and_up(ns)


def _minutes_and_up(ns: int) -> str:
    minutes = ns // (60 * 10**9)
    if minutes < 10:
        return _pair(minutes, "m", ns // 10**9 % 60, "s")
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = ns // (3600 * 10**9)
    if hours < 8:
        return _pair(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _pair(hours // 24, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        return _pair(hours // 24 // 365, "y", hours // 24 % 365, "d")
    return f"{hours // 24 // 365}y"


def _pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big}{big_unit}{small}{small_unit}" if small else f"{big}{big_unit}"


def _nanoseconds(value: float | Decimal | timedelta) -> int:
    if isinstance(value, timedelta):
        return (value.days * 86_400 + value.seconds) * 10**9 + value.microseconds * 1000
    # str() keeps a float's shortest decimal text, so 119.999 is 119999000000ns exactly.
    return int((Decimal(str(value)) * 10**9).to_integral_value(rounding=ROUND_HALF_EVEN))


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 (micro)time, or None for a missing or zero time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = aware(datetime.fromisoformat(value))
    except ValueError:
        return None
    return None if parsed.year == 1 and parsed == datetime(1, 1, 1, tzinfo=UTC) else parsed


def since(value: object, now: datetime) -> str:
    """translateTimestampSince: HumanDuration of the age, "<unknown>" for no time."""
    return ago(parse_time(value), now)


def ago(moment: datetime | None, now: datetime) -> str:
    """HumanDuration from a parsed moment to now, "<unknown>" for no moment."""
    return "<unknown>" if moment is None else human_duration(aware(now) - moment)


def aware(moment: datetime) -> datetime:
    """A datetime with a zone; a naive one is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
