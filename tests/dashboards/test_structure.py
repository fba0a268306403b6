"""The committed dashboards are importable Grafana JSON with the panels, variables, units,
thresholds and links the dashboards issue asks for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import promql_parser
import pytest

from tests.dashboards.queries import (
    DASHBOARD_DIR,
    interpolate,
    load_dashboards,
    panels,
    referenced_variables,
    targets,
    textbox_defaults,
    variable_queries,
)

BOARDS = load_dashboards()
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}
UIDS = {
    "quotameter-quotas": "quotameter-quotas",
    "quotameter-costs": "quotameter-costs",
    "quotameter-exporter": "quotameter-exporter",
}
TITLES = {
    "quotameter-quotas": [
        "Quota saturation",
        "Top 10 quotas closest to exhaustion",
        "Quota saturation over time",
        "CPU: requests vs quota vs usage (cores)",
        "Memory: requests vs quota vs usage",
        "GPU: requests vs quota",
        "LimitRange settings per namespace",
        "Quota rejections by namespace and resource",
        "Suggested hard vs current hard",  # issue 16: right-sizing
        "Containers without requests or limits",
        "LimitRange violations",
    ],
    "quotameter-costs": [
        "Month-to-date cost by team",
        "Cost per hour by team",
        "Month-to-date cost by resource",
        "Top 10 namespaces by month-to-date cost",
        "Idle and shared cost per hour",
        "Efficiency: usage / allocation",
        "Budget vs projected cost per team",
    ],
    "quotameter-exporter": [
        "Informer sync state",
        "Metrics API up",
        "Ledger flush age",
        "Informer events and relists",
        "Kubernetes API errors",
        "Parse errors",
    ],
}
MONEY = "currencyUSD"
UNITS = {
    "Quota saturation": "short",
    "Top 10 quotas closest to exhaustion": "percentunit",
    "Quota saturation over time": "percentunit",
    "CPU: requests vs quota vs usage (cores)": "short",
    "Memory: requests vs quota vs usage": "bytes",
    "GPU: requests vs quota": "short",
    "Month-to-date cost by team": MONEY,
    "Cost per hour by team": MONEY,
    "Month-to-date cost by resource": MONEY,
    "Top 10 namespaces by month-to-date cost": MONEY,
    "Idle and shared cost per hour": MONEY,
    "Efficiency: usage / allocation": "percentunit",
    "Budget vs projected cost per team": MONEY,
    "Ledger flush age": "s",
    "Informer events and relists": "cps",
}
# Series that carry namespace and team (SPEC "Metrics"): filtered by all three variables.
NAMESPACE_SCOPED = (
    "quotameter_quota_",
    "quotameter_limitrange",
    "quotameter_namespace_",
    "quotameter_allocation",
    "quotameter_hourly_cost",
    "quotameter_cost_",
)
# Cluster-wide by design: the shared namespaces' cost ignores the team selection.
CLUSTER_WIDE_PANELS = {"Idle and shared cost per hour"}


def all_panels() -> Iterator[tuple[str, dict[str, Any]]]:
    for stem, board in BOARDS.items():
        for panel in panels(board):
            yield stem, panel


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def test_three_dashboards_with_stable_uids() -> None:
    assert {stem: board["uid"] for stem, board in BOARDS.items()} == UIDS
    assert all(len(uid) <= 40 for uid in UIDS.values())  # Grafana's uid limit


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_importable_by_hand_and_by_the_sidecar(stem: str) -> None:
    board = BOARDS[stem]
    # Top-level dashboard JSON (not wrapped in {"dashboard": ...}), no instance id,
    # no __inputs to fill in at import: the sidecar would leave them unresolved.
    assert "dashboard" not in board
    assert "__inputs" not in board
    assert board["id"] is None
    assert board["schemaVersion"] >= 39
    assert isinstance(board["version"], int)
    assert "quotameter" in board["tags"]
    assert board["title"].startswith("quotameter / ")
    raw = (DASHBOARD_DIR / f"{stem}.json").read_text(encoding="utf-8")
    assert "DS_" not in raw, "an exported-for-sharing datasource placeholder"


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_exactly_the_panels_of_the_issue(stem: str) -> None:
    assert [p["title"] for p in panels(BOARDS[stem])] == TITLES[stem]


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_panel_ids_are_unique(stem: str) -> None:
    ids = [p["id"] for p in panels(BOARDS[stem])]
    assert len(ids) == len(set(ids))
    assert all(isinstance(i, int) for i in ids)


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_panels_fit_the_grid_without_overlapping(stem: str) -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in panels(BOARDS[stem]):
        g = panel["gridPos"]
        assert 0 <= g["x"] < g["x"] + g["w"] <= 24, panel["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_panel_has_a_query() -> None:
    for stem, panel in all_panels():
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert refs, f"{stem}: {panel['title']} has no query"
        assert len(refs) == len(set(refs)), f"{stem}: {panel['title']} repeats a refId"
        for target in panel["targets"]:
            assert target["expr"].strip(), f"{stem}: {panel['title']} {target['refId']}"


def test_every_datasource_reference_is_the_variable() -> None:
    for stem, board in BOARDS.items():
        for path, key, value in walk(board):
            if key == "datasource":
                assert value == DATASOURCE_REF, f"{stem}{path}: {value}"
            elif key == "uid":
                # Only the dashboard's own uid and datasource references name a uid.
                assert path == "" or value == "${datasource}", f"{stem}{path}: uid {value}"


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_variables(stem: str) -> None:
    variables = {v["name"]: v for v in BOARDS[stem]["templating"]["list"]}
    datasource = variables["datasource"]
    assert (datasource["type"], datasource["query"]) == ("datasource", "prometheus")
    for name in ("cluster", "team", "namespace"):
        v = variables[name]
        assert v["type"] == "query"
        assert v["datasource"] == DATASOURCE_REF
        assert v["multi"]
        assert v["includeAll"]
        # `.*` also matches a missing label: single-cluster setups have no `cluster`.
        assert v["allValue"] == ".*"
        assert v["current"]["value"] == ["$__all"]
    selectors = variable_queries(BOARDS[stem])
    assert selectors["cluster"][1] == "cluster"
    assert 'cluster=~"$cluster"' in selectors["team"][0]
    assert 'team=~"$team"' in selectors["namespace"][0]


def test_variables_are_matched_as_regexes() -> None:
    for target in targets(BOARDS):
        for name in ("cluster", "team", "namespace"):
            if f"${name}" in target.expr:
                assert f'{name}=~"${name}"' in target.expr, target.name
                assert f'{name}="${name}"' not in target.expr, target.name


def _selectors(expr: str) -> Iterator[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []
    promql_parser.walk(
        promql_parser.parse(expr),
        lambda n: found.append(n) if isinstance(n, promql_parser.VectorSelector) else None,
    )
    return iter(found)


def test_every_selector_filters_by_the_variables() -> None:
    marked = {"cluster": "CLUSTER", "team": "TEAM", "namespace": "NAMESPACE"}
    for target in targets(BOARDS):
        expr = interpolate(target.expr, {**marked, "shared_namespaces": "SHARED"})
        for selector in _selectors(expr):
            matchers = {m.name: m.value for m in selector.matchers.matchers}
            assert matchers.get("cluster") == "CLUSTER", f"{target.name}: {selector}"
            if target.panel_title in CLUSTER_WIDE_PANELS:
                continue
            name = selector.name or ""
            if name.startswith(NAMESPACE_SCOPED):
                assert matchers.get("team") == "TEAM", f"{target.name}: {selector}"
                assert matchers.get("namespace") == "NAMESPACE", f"{target.name}: {selector}"
            if name.startswith("quotameter_team_"):
                assert matchers.get("team") == "TEAM", f"{target.name}: {selector}"


def test_every_variable_used_is_defined() -> None:
    builtins = {"__rate_interval", "__interval", "__range", "__from", "__to", "__all"}
    for stem, board in BOARDS.items():
        defined = {v["name"] for v in board["templating"]["list"]} | builtins
        texts = [t.expr for t in targets({stem: board})]
        texts += [link["url"] for link in board["links"]]
        texts += [link["url"] for p in panels(board) for link in p.get("links", [])]
        texts += [v.get("definition", "") for v in board["templating"]["list"]]
        for text in texts:
            assert referenced_variables(text) <= defined, f"{stem}: {text}"


def test_units() -> None:
    units = {p["title"]: p["fieldConfig"]["defaults"].get("unit") for _, p in all_panels()}
    for title, unit in UNITS.items():
        assert units[title] == unit, title
    assert all(unit for unit in units.values()), "every panel sets a unit"


def _steps(config: dict[str, Any]) -> list[Any]:
    return [s["value"] for s in config["thresholds"]["steps"]]


def test_saturation_is_coloured_at_90_and_100_percent() -> None:
    saturation = [
        (stem, p)
        for stem, p in all_panels()
        if any("quota_saturation_ratio" in t["expr"] for t in p["targets"])
    ]
    assert len(saturation) == 3
    for stem, panel in saturation:
        defaults, overrides = panel["fieldConfig"]["defaults"], panel["fieldConfig"]["overrides"]
        if panel["type"] == "table":
            (column,) = [o for o in overrides if o["matcher"]["options"] == "Saturation"]
            props = {p["id"]: p["value"] for p in column["properties"]}
            assert props["unit"] == "percentunit"
            assert props["custom.cellOptions"]["type"] == "color-background"
            assert [s["value"] for s in props["thresholds"]["steps"]] == [None, 0.9, 1.0]
        else:
            assert _steps(defaults) == [None, 0.9, 1.0], f"{stem}: {panel['title']}"
    (over_time,) = [p for _, p in saturation if p["type"] == "timeseries"]
    assert over_time["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] != "off"


@pytest.mark.parametrize("stem", sorted(UIDS))
def test_links_to_the_other_dashboards_and_the_chargeback_csv(stem: str) -> None:
    board = BOARDS[stem]
    (siblings,) = [link for link in board["links"] if link["type"] == "dashboards"]
    assert siblings["tags"] == ["quotameter"]
    assert siblings["includeVars"]
    assert siblings["keepTime"]
    others = {s for s, b in BOARDS.items() if "quotameter" in b["tags"]} - {stem}
    assert len(others) == 2, "the tag link reaches the two other dashboards"
    csv = [link["url"] for link in board["links"] if "/chargeback.csv" in link["url"]]
    assert csv
    assert all(url.startswith("${exporter_url}/chargeback.csv?month=") for url in csv)
    assert textbox_defaults(board)["exporter_url"].startswith("http")


def test_costs_panel_links_to_the_chargeback_csv() -> None:
    (panel,) = [p for p in panels(BOARDS["quotameter-costs"]) if p.get("links")]
    assert "/chargeback.csv?month=${__to:date:YYYY-MM}" in panel["links"][0]["url"]
