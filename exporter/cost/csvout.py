"""The chargeback CSV: parameters in, RFC 4180 bytes out.

The CLI (`quotameter chargeback`) and `GET /chargeback.csv` both call
`render_csv`, so their bytes are identical. Formats, fixed so that diffs of
monthly files stay quiet: quantities with 4 decimals, money with 2 (from
integer cents, never a float round trip), coverage as a fraction 0..1 with 4
decimals. Text cells that a spreadsheet would run as a formula get a leading
apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from exporter.cost.chargeback import GROUP_BYS, ChargebackRow

_QUANTITIES = ("cpu_core_hours", "memory_gib_hours", "gpu_hours", "storage_gib_hours")
_COSTS = ("cpu_cost", "memory_cost", "gpu_cost", "storage_cost")
_MONEY_TAIL = ("shared_cost", "idle_cost", "total_cost", "currency", "coverage")
# OWASP's list, plus LF and the full-width look-alikes some spreadsheets also evaluate.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # not \d: that also matches non-ASCII digits
FIRST_YEAR, LAST_YEAR = 1970, 9998  # the month after 9999-12 is past what datetime holds


class ChargebackParamError(ValueError):
    """A chargeback parameter is malformed; `parameter` names it (CLI: exit 2, web: 400)."""

    def __init__(self, message: str, *, parameter: str, value: object) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value


class MonthError(ChargebackParamError):
    """`month` is not a calendar month written YYYY-MM."""


def header(group_by: str) -> list[str]:
    """The column names for `group_by` (team | namespace | vcluster)."""
    keys = {
        "team": ["team"],
        "namespace": ["team", "namespace"],
        "vcluster": ["team", "namespace", "vcluster", "virtual_namespace"],
    }[parse_group_by(group_by)]
    return ["period", "cluster", *keys, *_QUANTITIES, *_COSTS, *_MONEY_TAIL]


def parse_group_by(text: str | None) -> str:
    """`group_by` checked against team | namespace | vcluster; absent means team."""
    return parse_choice(text, parameter="group_by", choices=GROUP_BYS)


def parse_choice(text: str | None, *, parameter: str, choices: tuple[str, ...]) -> str:
    """A parameter that is one of ``choices``; absent means the first of them."""
    value = choices[0] if text is None else text
    if value not in choices:
        raise ChargebackParamError(
            f"{parameter}: expected one of {', '.join(choices)}, got {value[:40]!r}",
            parameter=parameter,
            value=value,
        )
    return value


def parse_month(text: str | None) -> tuple[datetime, datetime]:
    """`YYYY-MM` as [first instant, first instant of the next month) in UTC."""
    match = _MONTH.fullmatch(text or "")
    month = int(match.group(2)) if match else 0
    if not match or not 1 <= month <= 12 or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise MonthError(
            f"month: expected a month written YYYY-MM from {FIRST_YEAR}-01 to "
            f"{LAST_YEAR}-12 (e.g. 2026-01), got {str(text)[:40]!r}",
            parameter="month",
            value=text,
        )
    year = int(match.group(1))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def period_of(start: datetime) -> str:
    """The `period` column for a month starting at `start`."""
    return f"{start.year:04d}-{start.month:02d}"


def neutralise(cell: str) -> str:
    """`cell` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def fixed_point(amount: int, places: int) -> str:
    """An integer number of 10**-places units as a decimal, exactly (no float)."""
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**places)
    return f"{sign}{whole}.{part:0{places}d}"


def decimals(value: float, places: int) -> str:
    """A float with ``places`` decimals; float dust never prints as -0.000."""
    text = f"{value:.{places}f}"
    return text[1:] if text == f"-{0:.{places}f}" else text


def money(cents: int) -> str:
    """Integer cents as a fixed two-decimal amount, exactly."""
    return fixed_point(cents, 2)


def quantity(value: float) -> str:
    """A quantity with four decimals; float dust never prints as -0.0000."""
    return decimals(value, 4)


def _key_cells(row: ChargebackRow, group_by: str) -> list[str]:
    o = row.owner
    if group_by == "team":
        return [o.team]
    if group_by == "namespace":
        return [o.team, o.namespace]
    return [o.team, o.namespace, o.vcluster, o.virtual_namespace]


def csv_cells(row: ChargebackRow, *, group_by: str) -> list[str]:
    """One row as the CSV's cells (text neutralised, numbers formatted)."""
    texts = [row.period, row.cluster, *_key_cells(row, group_by)]
    return [
        *(neutralise(t) for t in texts),
        *(quantity(h) for h in row.hours),
        *(money(c) for c in row.cost_cents),
        money(row.shared_cents),
        money(row.idle_cents),
        money(row.total_cents),
        neutralise(row.currency),
        f"{row.coverage:.4f}",
    ]


def render_csv(rows: Iterable[ChargebackRow], *, group_by: str) -> bytes:
    """The CSV file (UTF-8, CRLF line ends, header first, rows sorted) for `rows`."""
    group_by = parse_group_by(group_by)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header(group_by))
    writer.writerows(
        csv_cells(row, group_by=group_by) for row in sorted(rows, key=ChargebackRow.sort_key)
    )
    return out.getvalue().encode("utf-8")


def total_cents(rows: Sequence[ChargebackRow]) -> int:
    """Sum of `total_cost` over `rows`, in cents (for conservation checks and logs)."""
    return sum(row.total_cents for row in rows)
