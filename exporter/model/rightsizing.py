"""Quota right-sizing: a suggested hard value and a verdict per quota key, from history.

The history is the ledger's daily rows (exporter.model.peaks). For one quota key over
the window (default the last 30 UTC days, today included):

- suggested hard = the 95th percentile of the daily peaks of used, plus headroom
  (default 20%), never below the used of the latest day, rounded up to a unit a person
  writes: cores to 100m, bytes to Mi below 1Gi and to Gi from 1Gi, counts to a whole;
- verdict: ``tight`` when the window holds a refusal, or the key was at least 90%
  saturated on more than half of its days; ``loose`` when it stayed below 30% on every
  day of the whole window (a row for each: a key seen for a week is not called loose
  yet); ``fit`` otherwise; and ``insufficient-history`` (no suggestion) with fewer
  than 7 days of rows in the window.

The 95th percentile interpolates linearly between the closest ranks (the "linear"
method of numpy and of Python's statistics.quantiles(method="inclusive")).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exporter.model.peaks import DemandDay, QuotaDay

DEFAULT_WINDOW_DAYS = 30
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 90
DEFAULT_HEADROOM = 0.2
MAX_HEADROOM = 10.0
MIN_HISTORY_DAYS = 7
TIGHT_SATURATION, LOOSE_SATURATION = 0.9, 0.3
PERCENTILE = 0.95

TIGHT, FIT, LOOSE, INSUFFICIENT = "tight", "fit", "loose", "insufficient-history"
MI, GI = 2.0**20, 2.0**30


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The advice for one quota key, with the figures behind its verdict."""

    namespace: str
    team: str
    quota: str
    resource: str  # the quota key
    unit: str  # cores, bytes or count
    verdict: str  # tight, fit, loose or insufficient-history
    hard: float  # the latest day's hard and used
    used: float
    suggested: float | None  # None with insufficient history
    window_days: int
    days: int  # days of history in the window
    used_peak_p95: float | None  # of the daily peaks of used
    saturation_peak: float | None  # the highest daily peak of used / hard
    days_saturated: int  # days at or above 90% of hard
    refusals: int  # in the window
    requests_peak: float | None  # the namespace's peak effective requests of the
    usage_peak: float | None  # key's resource, and peak measured usage (compute keys)

    @property
    def reason(self) -> str:
        """One line saying why the verdict is what it is."""
        if self.verdict == INSUFFICIENT:
            return f"{self.days} of {MIN_HISTORY_DAYS} days of history needed"
        if self.refusals:
            return f"{self.refusals} refused in the window"
        peak = f"peak {_percent(self.saturation_peak)} of hard"
        if self.verdict == TIGHT:
            return f"at 90% or more on {self.days_saturated} of {self.days} days"
        if self.verdict == LOOSE:
            return f"below 30% on all {self.days} days ({peak})"
        if self.saturation_peak is not None and self.saturation_peak < LOOSE_SATURATION:
            return f"below 30% on {self.days} days, not yet the whole {self.window_days}"
        return f"{peak}; 95th percentile {quantity_text(self.used_peak_p95 or 0, self.unit)}"


def recommend(
    history: Iterable[QuotaDay],
    *,
    demand: Iterable[DemandDay] = (),
    window_days: int = DEFAULT_WINDOW_DAYS,
    headroom: float = DEFAULT_HEADROOM,
    keys: set[tuple[str, str, str]] | None = None,
) -> list[Recommendation]:
    """One recommendation per quota key of ``history`` (the rows of the last
    ``window_days`` days), sorted by (namespace, quota, resource); only the ``keys``
    given, when given."""
    by_key: dict[tuple[str, str, str], list[QuotaDay]] = {}
    for row in history:
        key = (row.namespace, row.quota, row.resource)
        if keys is None or key in keys:
            by_key.setdefault(key, []).append(row)
    peaks: dict[tuple[str, str], list[DemandDay]] = {}
    for peak in demand:
        peaks.setdefault((peak.namespace, peak.resource), []).append(peak)
    found = []
    for key, rows in sorted(by_key.items()):
        rows.sort(key=lambda r: r.day)
        demand_rows = peaks.get(_demand_key(key), [])
        found.append(_recommend(rows, demand_rows, window_days=window_days, headroom=headroom))
    return found


def _recommend(
    days: list[QuotaDay], demand: list[DemandDay], *, window_days: int, headroom: float
) -> Recommendation:
    latest = days[-1]
    unit = unit_of(latest.resource)
    ratios = [day.used_peak / day.hard for day in days if day.hard > 0]
    saturated = sum(1 for ratio in ratios if ratio >= TIGHT_SATURATION)
    refusals = sum(day.refusals for day in days)
    p95 = percentile([day.used_peak for day in days], PERCENTILE)
    if len(days) < MIN_HISTORY_DAYS:
        verdict, suggested = INSUFFICIENT, None
    else:
        suggested = round_up(max(p95 * (1 + headroom), latest.used), unit)
        if refusals or saturated * 2 > len(days):
            verdict = TIGHT
        elif len(ratios) >= window_days and max(ratios) < LOOSE_SATURATION:
            verdict = LOOSE
        else:
            verdict = FIT
    requests = [row.requests_peak for row in demand]
    usage = [row.usage_peak for row in demand if row.usage_peak is not None]
    return Recommendation(
        namespace=latest.namespace, team=latest.team, quota=latest.quota,
        resource=latest.resource, unit=unit, verdict=verdict, hard=latest.hard,
        used=latest.used, suggested=suggested, window_days=window_days, days=len(days),
        used_peak_p95=p95,
        saturation_peak=max(ratios) if ratios else None, days_saturated=saturated,
        refusals=refusals, requests_peak=max(requests) if requests else None,
        usage_peak=max(usage) if usage else None,
    )  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolated linearly between ranks."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def unit_of(resource: str) -> str:
    """cores, bytes or count: what a quota key's amounts are measured in."""
    name = resource.removeprefix("requests.").removeprefix("limits.")
    if name == "cpu":
        return "cores"
    if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-"):
        return "bytes"
    if name == "storage" or name.endswith(".storageclass.storage.k8s.io/requests.storage"):
        return "bytes"
    return "count"


def round_up(amount: float, unit: str) -> float:
    """``amount`` rounded up to what a person writes: 100m, Mi under 1Gi, Gi, or whole."""
    if unit == "cores":
        return math.ceil(round(amount * 10, 9)) / 10
    if unit == "bytes":
        step = MI if amount < GI else GI
        return math.ceil(round(amount / step, 9)) * step
    return float(math.ceil(round(amount, 9)))


def quantity_text(amount: float, unit: str) -> str:
    """A Kubernetes quantity for ``amount``: "2500m" or "3" cores, "512Mi" or "2Gi"."""
    if unit == "cores":
        millis = round(amount * 1000)
        return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
    if unit == "bytes":
        for suffix, size in (("Gi", GI), ("Mi", MI), ("Ki", 1024.0)):
            if amount >= size and (amount / size).is_integer():
                return f"{int(amount / size)}{suffix}"
        return str(math.ceil(amount))
    return str(math.ceil(round(amount, 9)))


def _demand_key(key: tuple[str, str, str]) -> tuple[str, str]:
    namespace, _, resource = key
    name = resource.removeprefix("requests.").removeprefix("limits.")
    return namespace, name if name in ("cpu", "memory") else ""


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


class AdviceParamError(ValueError):
    """A right-sizing parameter is malformed; ``parameter`` names it (CLI: exit 2, web:
    a JSON 400)."""

    def __init__(self, message: str, *, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def parse_window_days(value: object) -> int:
    """The window in days, 7 to 90, from an int or its decimal text."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not (text.isascii() and text.isdigit()) or not (
        MIN_WINDOW_DAYS <= int(text) <= MAX_WINDOW_DAYS
    ):
        raise AdviceParamError(
            f"window_days must be a whole number of days from {MIN_WINDOW_DAYS} to "
            f"{MAX_WINDOW_DAYS}, got {value!r}",
            parameter="window_days",
        )
    return int(text)


def parse_headroom(value: object) -> float:
    """The headroom as a fraction (0.2 is 20%), 0 to 10, from a number or its text."""
    try:
        headroom = float(value) if isinstance(value, (str, int, float)) else math.nan
    except ValueError:
        headroom = math.nan
    if not 0 <= headroom <= MAX_HEADROOM:  # NaN fails both
        raise AdviceParamError(
            f"headroom must be a fraction from 0 to {MAX_HEADROOM:g} (0.2 is 20%), got {value!r}",
            parameter="headroom",
        )
    return headroom
