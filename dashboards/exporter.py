"""The Exporter health dashboard: can quotameter's own figures be trusted right now?"""

from __future__ import annotations

from dashboards.frame import dashboard
from dashboards.grafana import (
    CLUSTER_SCOPE,
    Json,
    Query,
    metric,
    query_override,
    thresholds,
    value_map,
)
from dashboards.visuals import stat, timeseries

# The ledger flushes at least every 60 s: two missed flushes are a warning, five an outage.
FLUSH_AGE = thresholds((None, "green"), (120, "orange"), (300, "red"))


def _cluster(name: str) -> str:
    return metric(name, scope=CLUSTER_SCOPE)


def _per_interval(name: str, by: str, fn: str = "increase") -> str:
    """`fn` (increase or rate) of the cluster-scoped counter `name` per rate interval,
    summed by the labels `by`."""
    return f"sum by ({by}) ({fn}({_cluster(name)}[$__rate_interval]))"


def _sync_state() -> Json:
    return stat(
        "Informer sync state",
        description="Per kind, whether the informer finished its initial LIST (the daemon "
        "is ready only when all have). The lowest across the selected clusters.",
        queries=[
            Query(
                f"min by (kind) ({_cluster('quotameter_informer_synced')})",
                legend="{{kind}}",
                instant=True,
            )
        ],
        unit="none",
        mappings=[value_map(("0", "not synced", "red"), ("1", "synced", "green"))],
        size=(12, 6),
    )


def _events_and_relists() -> Json:
    relist_style = (
        ("custom.drawStyle", "bars"),
        ("custom.fillOpacity", 80),
        ("custom.axisPlacement", "right"),
        ("unit", "short"),
    )
    return timeseries(
        "Informer events and relists",
        description="Watch events per second by kind (lines) and full relists by kind and "
        "reason (bars, right axis): relists after 410 Gone or errors mean watches break.",
        queries=[
            Query(
                _per_interval("quotameter_informer_events_total", "kind", "rate"),
                legend="{{kind}} events/s",
            ),
            Query(
                _per_interval("quotameter_informer_relists_total", "kind, reason"),
                legend="{{kind}} relists ({{reason}})",
            ),
        ],
        unit="cps",
        overrides=[query_override("B", *relist_style)],
    )


def _api_errors() -> Json:
    # No error has happened yet means no series: draw zero per kind rather than "No data",
    # which would look like a broken scrape. `or on()` adds the zeros only when no
    # error series exists at all.
    zeros = f"0 * sum by (kind) ({_cluster('quotameter_informer_synced')})"
    return timeseries(
        "Kubernetes API errors",
        description="Failed API calls by kind and HTTP status (or failure class), per "
        "rate interval. Zero per kind while there has been no error.",
        queries=[
            Query(
                f"{_per_interval('quotameter_api_errors_total', 'kind, code')} or on() ({zeros})",
                legend="{{kind}} {{code}}",
            )
        ],
        unit="short",
        bars=True,
    )


def _parse_errors() -> Json:
    return timeseries(
        "Parse errors",
        description="API objects (or fields) skipped as undecodable, e.g. a malformed "
        "quantity, per rate interval. Anything above zero means some figures are missing.",
        queries=[Query(_per_interval("quotameter_parse_errors_total", "kind"), legend="{{kind}}")],
        unit="short",
        bars=True,
    )


def _metrics_api() -> Json:
    return stat(
        "Metrics API up",
        description="Whether the last metrics.k8s.io poll succeeded. While it is down, "
        "usage is unknown: efficiency is blank and cost falls back to requests.",
        queries=[Query(f"min({_cluster('quotameter_metrics_api_up')})", legend="metrics API")],
        unit="none",
        mappings=[value_map(("0", "down", "red"), ("1", "up", "green"))],
        graph=True,
    )


def _ledger_age() -> Json:
    flushed = _cluster("quotameter_ledger_last_flush_timestamp_seconds")
    return stat(
        "Ledger flush age",
        description="Seconds since the cost ledger was last written to disk (it flushes at "
        "least every 60 s); a restart loses at most this much cost.",
        queries=[Query(f"time() - max({flushed})", legend="since last flush")],
        unit="s",
        steps=FLUSH_AGE,
        graph=True,
    )


# The panels in the order they are laid out.
PANELS = (_sync_state, _metrics_api, _ledger_age, _events_and_relists, _api_errors, _parse_errors)


def build() -> Json:
    """The Exporter health dashboard."""
    return dashboard(
        key="exporter",
        title="quotameter / Exporter health",
        description="quotameter's own health: informers, Kubernetes API errors, parse "
        "errors, the metrics API and the cost ledger.",
        panels=[make() for make in PANELS],
        time_from="now-3h",
    )
