"""Quota right-sizing advice from the ledger's history, and its CSV and JSON forms: the
functions the CLI (`quotameter recommend`), the web route and the metric share."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from exporter.cost.csvout import neutralise
from exporter.cost.days import day_index, day_key
from exporter.ledger.store import Ledger
from exporter.model.rightsizing import Recommendation, quantity_text, recommend

CSV_COLUMNS = (
    "namespace", "team", "quota", "resource", "verdict", "hard", "used", "suggested",
    "unit", "days", "used_peak_p95", "saturation_peak", "days_saturated", "refusals",
    "requests_peak", "usage_peak", "reason",
)  # fmt: skip


def ledger_recommendations(
    ledger: Ledger,
    *,
    now: float,
    window_days: int,
    headroom: float,
    keys: set[tuple[str, str, str]] | None = None,
) -> list[Recommendation]:
    """Advice for the quota keys in ``keys`` (a running daemon's current ones) or, without
    them, for the keys the newest day of the window has (those of a ledger read offline),
    over the ``window_days`` UTC days that end with the day of ``now``."""
    today = day_index(now)
    quotas, demand = ledger.history(first=day_key(today - window_days + 1), last=day_key(today))
    if keys is None:
        newest = max((row.day for row in quotas), default="")
        keys = {(r.namespace, r.quota, r.resource) for r in quotas if r.day == newest}
    return recommend(quotas, demand=demand, window_days=window_days, headroom=headroom, keys=keys)


def recommendation_json(advice: Recommendation) -> dict[str, Any]:
    """One recommendation as the JSON API gives it: amounts in base units, and the
    quantities a person would write into the quota."""
    return {
        "namespace": advice.namespace,
        "team": advice.team,
        "quota": advice.quota,
        "resource": advice.resource,
        "verdict": advice.verdict,
        "reason": advice.reason,
        "unit": advice.unit,
        "hard": advice.hard,
        "used": advice.used,
        "suggested": advice.suggested,
        "quantities": {
            "hard": quantity_text(advice.hard, advice.unit),
            "used": quantity_text(advice.used, advice.unit),
            "suggested": _quantity(advice.suggested, advice.unit),
        },
        "figures": {
            "days": advice.days,
            "window_days": advice.window_days,
            "used_peak_p95": advice.used_peak_p95,
            "saturation_peak": advice.saturation_peak,
            "days_saturated": advice.days_saturated,
            "refusals": advice.refusals,
            "requests_peak": advice.requests_peak,
            "usage_peak": advice.usage_peak,
        },
    }


def recommendations_csv(advice: Iterable[Recommendation]) -> bytes:
    """The advice as RFC 4180 CSV: hard, used and suggested as quantities (what goes
    into the quota), the figures in base units (the ``unit`` column)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in advice:
        writer.writerow([
            a.namespace, neutralise(a.team), a.quota, a.resource, a.verdict,
            quantity_text(a.hard, a.unit), quantity_text(a.used, a.unit),
            _quantity(a.suggested, a.unit), a.unit, a.days, _number(a.used_peak_p95),
            _number(a.saturation_peak), a.days_saturated, a.refusals,
            _number(a.requests_peak), _number(a.usage_peak), a.reason,
        ])  # fmt: skip
    return out.getvalue().encode()


def _quantity(amount: float | None, unit: str) -> str:
    return "" if amount is None else quantity_text(amount, unit)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.12g}"
