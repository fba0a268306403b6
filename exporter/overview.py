"""The overview page (GET /): the JSON summary as one HTML page, rendered here.

Pure: the body of /api/v1/summary goes in (so the page and the API show the same
numbers), text comes out. No script, no external asset: one stylesheet inline, allowed
by its hash in the Content-Security-Policy (``CSP``), and bars drawn as inline SVG
whose sizes are attributes, not styles. Every figure is also in a ``<data>`` element
with its exact value, for machines; text from the cluster is escaped.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

MAX_QUOTA_ROWS = 50  # the most saturated keys; the summary has them all
MAX_REFUSALS = 20
WARN, FULL = 0.9, 1.0  # as QuotameterQuotaAlmostFull and QuotameterQuotaExhausted

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:74rem;padding:1rem 1.5rem;
color:#1d2329;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .4rem}
header p{margin:.2rem 0;color:#4a5560}nav a{margin-right:1rem}
table{border-collapse:collapse;width:100%}th,td{padding:.25rem .5rem;text-align:left;
border-bottom:1px solid #e3e7ea;vertical-align:middle}th{font-weight:600;color:#4a5560}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg.bar{width:11rem;height:.7rem;display:inline-block;vertical-align:middle}
.track{fill:#e9edf0}.fill{fill:#2f7d4f}.warn .fill{fill:#d08a00}.full .fill{fill:#c62828}
.plan{fill:#9fc3ad}.warn .plan{fill:#e9c46a}.full .plan{fill:#ef9a9a}.budget{fill:#1d2329}
.note{color:#4a5560;font-size:.9rem}.warn-text{color:#9a6500}.full-text{color:#b01e1e}
code{font-size:.9em}
"""
CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
LINKS = (
    ("chargeback.csv?group_by=team", "Chargeback CSV by team"),
    ("chargeback.csv?group_by=namespace", "by namespace"),
    ("chargeback.csv?group_by=vcluster", "by vcluster"),
    ("chargeback.csv?format=focus", "FOCUS export"),
    ("api/v1/recommendations", "Quota recommendations"),
    ("api/v1/summary", "JSON summary"),
    ("metrics", "Metrics"),
)


def render_overview(body: Mapping[str, Any], *, cluster: str = "", now: float) -> str:
    """The whole page for one summary body (see exporter.model.summary)."""
    currency = escape(str(body.get("currency", "")))
    sections = (
        _quota_section(body["namespaces"]),
        _refusal_section(body["namespaces"]),
        _team_section(body.get("teams", []), currency=currency),
    )
    return "".join(
        (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>quotameter{' · ' + escape(cluster) if cluster else ''}</title>"
            f"<style>{STYLE}</style></head><body>",
            _header(body, cluster=cluster, now=now),
            "<main>",
            *sections,
            "</main></body></html>\n",
        )
    )


def _header(body: Mapping[str, Any], *, cluster: str, now: float) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now))
    month = time.strftime("%B %Y", time.gmtime(now))
    facts = [f"cluster <strong>{escape(cluster)}</strong>" if cluster else "", f"as of {stamp}",
             f"cost for {month} (UTC)"]  # fmt: skip
    usage = "" if body.get("metrics_api_up") else (
        '<p class="warn-text">Pod usage unknown: metrics.k8s.io does not answer.</p>'
    )  # fmt: skip
    links = "".join(f'<a href="{escape(href)}">{text}</a>' for href, text in LINKS)
    return (
        f"<header><h1>quotameter</h1><p>{' · '.join(f for f in facts if f)}</p>{usage}"
        f"<nav>{links}</nav></header>"
    )


def quota_keys(namespaces: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every quota key with its namespace, team and quota, most saturated first (keys
    without a saturation, hard 0 or used unknown, last)."""
    keys = [
        {
            "namespace": ns["namespace"],
            "team": ns["team"],
            "quota": q["name"],
            "resource": key,
            **figures,
        }
        for ns in namespaces
        for q in ns["quotas"]
        for key, figures in q["resources"].items()
    ]
    return sorted(keys, key=lambda k: (k["saturation"] is None, -(k["saturation"] or 0.0),
                                       k["namespace"], k["quota"], k["resource"]))  # fmt: skip


def _quota_section(namespaces: Iterable[Mapping[str, Any]]) -> str:
    keys = quota_keys(namespaces)
    rows = "".join(_quota_row(k) for k in keys[:MAX_QUOTA_ROWS])
    more = len(keys) - MAX_QUOTA_ROWS
    note = f'<p class="note">{more} less saturated keys are in the JSON summary.</p>'
    return (
        '<section id="quotas"><h2>Quota saturation</h2>'
        + (
            "<table><thead><tr><th>Namespace</th><th>Team</th><th>Quota</th><th>Key</th>"
            '<th class="n">Used</th><th class="n">Hard</th><th>Saturation</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            if keys
            else '<p class="note">No ResourceQuota in the watched namespaces.</p>'
        )
        + (note if more > 0 else "")
        + "</section>"
    )


def _quota_row(key: Mapping[str, Any]) -> str:
    saturation = key["saturation"]
    level = severity(saturation)
    shown = "n/a" if saturation is None else f"{saturation * 100:.1f}%"
    bar = _bar(level, fill=min(saturation or 0.0, 1.0), label=shown)
    return (
        f'<tr class="quota {level}"><td>{escape(key["namespace"])}</td>'
        f"<td>{escape(key['team'])}</td><td>{escape(key['quota'])}</td>"
        f"<td><code>{escape(key['resource'])}</code></td>"
        f'<td class="n">{_amount(key["used"], key["resource"])}</td>'
        f'<td class="n">{_amount(key["hard"], key["resource"])}</td>'
        f'<td>{bar} <data class="saturation" value="{_exact(saturation)}">{shown}</data></td>'
        "</tr>"
    )


def severity(saturation: float | None) -> str:
    """The bar's colour class: ok, warn (>= 90%) or full (>= 100%)."""
    if saturation is None or saturation < WARN:
        return "ok"
    return "warn" if saturation < FULL else "full"


def _bar(level: str, *, fill: float, label: str, plan: float = 0.0, mark: float = -1) -> str:
    """An inline SVG bar 0..1: ``fill`` solid, ``plan`` lighter behind it, a ``mark``."""
    parts = ['<rect class="track" width="100" height="10"/>']
    if plan > 0:
        parts.append(f'<rect class="plan" width="{plan * 100:.2f}" height="10"/>')
    parts.append(f'<rect class="fill" width="{fill * 100:.2f}" height="10"/>')
    if mark >= 0:
        parts.append(f'<rect class="budget" x="{min(mark * 100, 99):.2f}" width="1" height="10"/>')
    return (
        f'<svg class="bar {level}" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(label)}">{"".join(parts)}</svg>'
    )


def _refusal_section(namespaces: Iterable[Mapping[str, Any]]) -> str:
    refusals = latest_refusals(namespaces)[:MAX_REFUSALS]
    if not refusals:
        body = '<p class="note">No pod refused by a quota since quotameter started.</p>'
    else:
        rows = "".join(_refusal_row(r) for r in refusals)
        body = (
            "<table><thead><tr><th>When (UTC)</th><th>Namespace</th><th>Quota</th><th>Pod</th>"
            '<th>Refused on</th><th class="n">Refusals</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    return f'<section id="refusals"><h2>Latest refusals</h2>{body}</section>'


def latest_refusals(namespaces: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The newest refusal of each quota that refused something, newest first."""
    found = [
        {
            "namespace": ns["namespace"],
            "quota": q["name"],
            "total": q["rejections"]["total"],
            **q["rejections"]["last"],
        }
        for ns in namespaces
        for q in ns["quotas"]
        if q["rejections"]["last"]
    ]
    return sorted(found, key=lambda r: (r["time"], r["namespace"], r["quota"]), reverse=True)


def _refusal_row(refusal: Mapping[str, Any]) -> str:
    limited = ", ".join(
        f"{escape(key)}: requested {escape(str(refusal['requested'].get(key, '?')))}, "
        f"used {escape(str(refusal['used'].get(key, '?')))} of "
        f"{escape(str(refusal['limited'].get(key, '?')))}"
        for key in refusal["resources"]
    )
    count = max(refusal["total"].values(), default=0)
    return (
        f'<tr class="refusal"><td>{escape(str(refusal["time"]).replace("T", " ").rstrip("Z"))}'
        f"</td><td>{escape(refusal['namespace'])}</td><td>{escape(refusal['quota'])}</td>"
        f"<td>{escape(str(refusal['pod']))}</td><td>{limited}</td>"
        f'<td class="n"><data value="{count}">{count}</data></td></tr>'
    )


def _team_section(teams: Iterable[Mapping[str, Any]], *, currency: str) -> str:
    ordered = sorted(teams, key=lambda t: (-t["projected"], t["team"]))
    rows = "".join(_team_row(t) for t in ordered)
    total = sum(t["month_to_date"] for t in ordered)
    return (
        f'<section id="teams"><h2>Cost this month ({currency})</h2>'
        '<table><thead><tr><th>Team</th><th class="n">Month to date</th>'
        '<th class="n">Projected</th><th class="n">Budget</th><th>Against budget</th>'
        f"</tr></thead><tbody>{rows}</tbody><tfoot><tr><th>All teams</th>"
        f'<th class="n">{_money(total, "total")}</th><th></th><th></th><th></th></tr>'
        "</tfoot></table>"
        '<p class="note">Bars: month to date (solid), projected (light), budget (the line). '
        "Projected: month to date plus the cost per hour now until the month ends. Shared "
        "and idle cost are in the chargeback CSV.</p></section>"
    )


def _team_row(team: Mapping[str, Any]) -> str:
    spent, projected, budget = team["month_to_date"], team["projected"], team["budget"]
    level, words = budget_state(spent, projected, budget)
    scale = max(spent, projected, budget or 0.0) or 1.0
    bar = "" if budget is None else _bar(
        level, fill=spent / scale, plan=projected / scale, mark=budget / scale, label=words
    )  # fmt: skip
    shown = "none" if budget is None else _money(budget, "budget")
    return (
        f'<tr class="team {level}"><td>{escape(team["team"])}</td>'
        f'<td class="n">{_money(spent, "month_to_date")}</td>'
        f'<td class="n">{_money(projected, "projected")}</td><td class="n">{shown}</td>'
        f'<td>{bar} <span class="{level}-text">{words}</span></td></tr>'
    )


def budget_state(spent: float, projected: float, budget: float | None) -> tuple[str, str]:
    """(colour class, words) as the budget alerts see it: over, heading over, or within."""
    if budget is None:
        return "ok", "no budget"
    if spent > budget:
        return "full", "over budget"
    if projected > budget:
        return "warn", "projected over budget"
    return "ok", "within budget"


def money(amount: float) -> str:
    """An amount as people read it: two decimals, '< 0.01' for less than a cent."""
    if 0 < amount < 0.005:
        return "&lt; 0.01"
    return f"{amount:,.2f}"


def _money(amount: float, name: str) -> str:
    return f'<data class="{name}" value="{_exact(amount)}">{money(amount)}</data>'


def _exact(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _amount(value: float | None, key: str) -> str:
    """A quota figure in the units kubectl shows: cores, binary bytes, or a count."""
    if value is None:
        return "n/a"
    if "cpu" in key:
        text = f"{value * 1000:.0f}m" if value < 1 else f"{value:g}"
    elif "memory" in key or "storage" in key:
        text = _bytes(value)
    else:
        text = f"{value:g}"
    return f'<data value="{_exact(value)}">{text}</data>'


def _bytes(value: float) -> str:
    for unit, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value >= size:
            return f"{value / size:.4g}{unit}"
    return f"{value:g}"
