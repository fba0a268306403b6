"""UTC calendar arithmetic: day splits at midnight, month bounds, hours left."""

from __future__ import annotations

import calendar

import pytest

from exporter.cost.days import (
    day_key,
    elapsed_in_month,
    hours_left_in_month,
    month_bounds,
    month_day_range,
    month_of,
    parse_month,
    split_by_day,
)


def ts(*parts: int) -> float:
    return float(calendar.timegm((*parts, *(0,) * (6 - len(parts)))))


def test_an_interval_across_midnight_is_split_exactly() -> None:
    pieces = list(split_by_day(ts(2026, 3, 31, 23, 30), ts(2026, 4, 1, 0, 45)))
    assert pieces == [("2026-03-31", 1800.0), ("2026-04-01", 2700.0)]


def test_an_interval_over_several_days_has_whole_days_inside() -> None:
    pieces = list(split_by_day(ts(2026, 2, 27, 12), ts(2026, 3, 2, 6)))
    assert pieces == [
        ("2026-02-27", 43200.0),
        ("2026-02-28", 86400.0),
        ("2026-03-01", 86400.0),
        ("2026-03-02", 21600.0),
    ]


def test_an_interval_ending_at_midnight_stays_in_its_day() -> None:
    assert list(split_by_day(ts(2026, 1, 1, 23), ts(2026, 1, 2))) == [("2026-01-01", 3600.0)]


def test_empty_and_backward_intervals_yield_nothing() -> None:
    assert list(split_by_day(ts(2026, 1, 2), ts(2026, 1, 2))) == []
    assert list(split_by_day(ts(2026, 1, 2), ts(2026, 1, 1))) == []


def test_months_and_days_are_utc() -> None:
    assert month_of(ts(2026, 3, 31, 23, 59, 59)) == "2026-03"
    assert month_of(ts(2026, 4, 1)) == "2026-04"
    assert day_key(0) == "1970-01-01"
    assert month_bounds("2024-02") == (ts(2024, 2, 1), ts(2024, 3, 1))  # leap year
    assert month_bounds("2026-12") == (ts(2026, 12, 1), ts(2027, 1, 1))
    assert month_day_range("2026-12") == ("2026-12-01", "2027-01-01")


def test_elapsed_and_hours_left() -> None:
    assert elapsed_in_month("2026-04", ts(2026, 4, 2)) == 86400.0
    assert elapsed_in_month("2026-04", ts(2026, 3, 30)) == 0.0
    assert elapsed_in_month("2026-04", ts(2026, 6, 1)) == 30 * 86400.0
    assert hours_left_in_month(ts(2026, 4, 30, 18)) == 6.0


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-4", "26-04", "", "2026-04-01", None])
def test_a_bad_month_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)  # type: ignore[arg-type]  # None among them, on purpose
