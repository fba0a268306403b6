"""Small builders for Grafana dashboard JSON (schemaVersion 39, Grafana 10.4 and later).

Plain dicts, no SDK: the output is what Grafana itself exports, so the generated
files import by hand and load through the sidecar unchanged. Every datasource
reference is the `datasource` variable; nothing names a datasource uid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 39
TAG = "quotameter"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_WIDTH = 24

CLUSTER = 'cluster=~"$cluster"'
TEAM = 'team=~"$team"'
NAMESPACE = 'namespace=~"$namespace"'
# Namespace-scoped series are filtered by all three variables.
NS_SCOPE = (CLUSTER, TEAM, NAMESPACE)
TEAM_SCOPE = (CLUSTER, TEAM)
CLUSTER_SCOPE = (CLUSTER,)

Json = dict[str, Any]


def metric(name: str, *matchers: str, scope: Sequence[str] = NS_SCOPE) -> str:
    """`name{scope..., matchers...}`: metric("quotameter_quota_hard", 'resource="pods"')."""
    return name + "{" + ", ".join((*scope, *matchers)) + "}"


@dataclass(frozen=True)
class Query:
    """One panel query: a PromQL expression and how Grafana should run it."""

    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False  # format=table: one row per series, labels as columns


def thresholds(*steps: tuple[float | None, str]) -> Json:
    """Absolute thresholds; the first step's value is None (the base colour)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


SATURATION = thresholds((None, "green"), (0.9, "orange"), (1.0, "red"))
PLAIN = thresholds((None, "green"))


def _targets(queries: Sequence[Query]) -> list[Json]:
    targets = []
    for ref, q in zip("ABCDEFGH", queries, strict=False):
        target: Json = {
            "datasource": DATASOURCE,
            "editorMode": "code",
            "expr": q.expr,
            "format": "table" if q.table else "time_series",
            "instant": q.instant,
            "range": not q.instant,
            "refId": ref,
        }
        if q.legend:
            target["legendFormat"] = q.legend
        targets.append(target)
    return targets


def panel(
    kind: str,
    title: str,
    *,
    description: str,
    queries: Sequence[Query],
    size: tuple[int, int],
    defaults: Json,
    options: Json,
    overrides: Iterable[Json] = (),
    transformations: Iterable[Json] = (),
    links: Iterable[Json] = (),
) -> Json:
    """A panel of any visualisation; `size` is (width, height) in grid units."""
    w, h = size
    result: Json = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": h, "w": w, "x": 0, "y": 0},
        "fieldConfig": {"defaults": defaults, "overrides": list(overrides)},
        "options": options,
        "targets": _targets(queries),
    }
    if transformations:
        result["transformations"] = list(transformations)
    if links:
        result["links"] = list(links)
    return result


def column(name: str, *properties: tuple[str, Any]) -> Json:
    """A field override for the column (or series) called `name`."""
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": k, "value": v} for k, v in properties],
    }


def query_override(ref: str, *properties: tuple[str, Any]) -> Json:
    """A field override for every series of query `ref`."""
    return {
        "matcher": {"id": "byFrameRefID", "options": ref},
        "properties": [{"id": k, "value": v} for k, v in properties],
    }


def coloured_cells(steps: Json) -> tuple[tuple[str, Any], ...]:
    """Override properties that colour a table column's cells by `steps`."""
    return (
        ("custom.cellOptions", {"mode": "basic", "type": "color-background"}),
        ("thresholds", steps),
        ("color", {"mode": "thresholds"}),
    )


def value_map(*pairs: tuple[str, str, str]) -> Json:
    """A value mapping from (value, text, colour) triples."""
    options = {
        value: {"color": colour, "index": i, "text": text}
        for i, (value, text, colour) in enumerate(pairs)
    }
    return {"options": options, "type": "value"}


def layout(panels: Sequence[Json]) -> list[Json]:
    """Number the panels 1..n and place them left to right, wrapping at the grid width."""
    x = y = row_height = 0
    placed = []
    for number, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        placed.append({"id": number, **p, "gridPos": {"h": h, "w": w, "x": x, "y": y}})
        x, row_height = x + w, max(row_height, h)
    return placed
