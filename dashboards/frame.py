"""What the three quotameter dashboards share: variables, links, units and the envelope."""

from __future__ import annotations

from collections.abc import Sequence

from dashboards.grafana import DATASOURCE, SCHEMA_VERSION, TAG, Json, layout

UIDS = {
    "quotas": "quotameter-quotas",
    "costs": "quotameter-costs",
    "exporter": "quotameter-exporter",
}
# Series that exist for every namespace with a quota or a pod: the team and namespace lists.
NAMESPACE_SERIES = "quotameter_namespace_pods|quotameter_quota_info"
DEFAULT_EXPORTER_URL = "http://localhost:9184"
DEFAULT_SHARED_NAMESPACES = "observability|kube-system"  # as in the example pricing file

# Grafana's built-in currency units (symbol before or after the amount, as the locale wants).
GRAFANA_CURRENCIES = frozenset((
    "USD", "GBP", "EUR", "JPY", "RUB", "UAH", "BRL", "DKK", "ISK", "NOK", "SEK", "CZK", "CHF",
    "PLN", "BTC", "ZAR", "INR", "KRW", "IDR", "PHP", "VND", "TRY", "MYR", "XPF", "BGN", "PYG",
    "UYU", "ILS",
))  # fmt: skip


def currency_unit(code: str) -> str:
    """Grafana's unit for an ISO currency code: `currencyEUR`, else a `suffix: XYZ` unit."""
    code = code.upper()
    return f"currency{code}" if code in GRAFANA_CURRENCIES else f"suffix: {code}"


def _query_variable(name: str, label: str, definition: str) -> Json:
    return {
        "allValue": ".*",  # also matches series without the label (single-cluster setups)
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "datasource": DATASOURCE,
        "definition": definition,
        "hide": 0,
        "includeAll": True,
        "label": label,
        "multi": True,
        "name": name,
        "options": [],
        "query": definition,
        "refresh": 2,
        "regex": "",
        "skipUrlSync": False,
        "sort": 1,
        "type": "query",
    }


def _textbox(name: str, label: str, value: str, *, hidden: bool) -> Json:
    return {
        "current": {"selected": False, "text": value, "value": value},
        "description": "",
        "hide": 2 if hidden else 0,
        "label": label,
        "name": name,
        "options": [{"selected": True, "text": value, "value": value}],
        "query": value,
        "skipUrlSync": False,
        "type": "textbox",
    }


def variables(*, costs: bool) -> list[Json]:
    """datasource, cluster, team, namespace; the Costs dashboard shows two textboxes more."""
    datasource = {
        "current": {},
        "hide": 0,
        "includeAll": False,
        "label": "Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "skipUrlSync": False,
        "type": "datasource",
    }
    result = [
        datasource,
        _query_variable("cluster", "Cluster", "label_values(quotameter_build_info, cluster)"),
        _query_variable(
            "team",
            "Team",
            f'label_values({{__name__=~"{NAMESPACE_SERIES}", cluster=~"$cluster"}}, team)',
        ),
        _query_variable(
            "namespace",
            "Namespace",
            f'label_values({{__name__=~"{NAMESPACE_SERIES}", cluster=~"$cluster", '
            f'team=~"$team"}}, namespace)',
        ),
    ]
    if costs:
        result.append(
            _textbox(
                "shared_namespaces",
                "Shared namespaces (regex, as in the pricing file)",
                DEFAULT_SHARED_NAMESPACES,
                hidden=False,
            )
        )
    result.append(
        _textbox("exporter_url", "quotameter URL", DEFAULT_EXPORTER_URL, hidden=not costs)
    )
    return result


def chargeback_link(group_by: str) -> Json:
    """A link to the daemon's CSV for the month the time range ends in."""
    return {
        "asDropdown": False,
        "icon": "doc",
        "includeVars": False,
        "keepTime": False,
        "tags": [],
        "targetBlank": True,
        "title": f"Chargeback CSV by {group_by}",
        "tooltip": "The month of the end of the time range, from the quotameter daemon",
        "type": "link",
        "url": "${exporter_url}/chargeback.csv?month=${__to:date:YYYY-MM}&group_by=" + group_by,
    }


def links() -> list[Json]:
    """The other quotameter dashboards (by tag, keeping time and variables) and the CSVs."""
    siblings = {
        "asDropdown": False,
        "icon": "external link",
        "includeVars": True,
        "keepTime": True,
        "tags": [TAG],
        "targetBlank": False,
        "title": "quotameter",
        "tooltip": "",
        "type": "dashboards",
        "url": "",
    }
    return [siblings, chargeback_link("team"), chargeback_link("namespace")]


def dashboard(
    *,
    key: str,
    title: str,
    description: str,
    panels: Sequence[Json],
    time_from: str,
    timezone: str = "browser",
) -> Json:
    """The top-level dashboard object, as Grafana's "Export" (not for sharing) writes it."""
    return {
        "annotations": {"list": []},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links(),
        "liveNow": False,
        "panels": layout(panels),
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": [TAG, key],
        "templating": {"list": variables(costs=key == "costs")},
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "timezone": timezone,
        "title": title,
        "uid": UIDS[key],
        "version": 1,
        "weekStart": "",
    }
