"""The dashboards on real data: every metric they name is on the demo's /metrics, and a
real Prometheus scraping `quotameter demo` answers every panel query with at least one
series, with the variables set to All and to real teams and namespaces of the demo."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.dashboards.conftest import Demo
from tests.dashboards.queries import (
    Target,
    exported_names,
    interpolate,
    load_dashboards,
    metric_names,
    name_regexes,
    regex_value,
    targets,
    textbox_defaults,
    variable_queries,
)
from tests.e2e.promserver import PromServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

BOARDS = load_dashboards()
TARGETS = targets(BOARDS)
ALL = {"cluster": ".*", "team": ".*", "namespace": ".*"}
# Quota refusals happen in staging and the GPUs are in ml-training: together they give
# every Quotas panel something to show.
PICKED_NAMESPACES = ["staging", "ml-training"]
DEMO_TEAMS = {"agents", "agents-prod", "ml", "sandbox", "platform"}
DEMO_NAMESPACES = {"dev", "staging", "prod", "ml-training", "observability", "vc-sandbox"}
# Range panels are asked for the last 30 s at a 1 s step; rates use $__rate_interval=15s.
RANGE_SECONDS = 30


def _named_metrics() -> set[str]:
    named: set[str] = set()
    for target in TARGETS:
        values = {**textbox_defaults(BOARDS[target.board]), **ALL}
        named |= metric_names(interpolate(target.expr, values))
    for board in BOARDS.values():
        for selector, _label in variable_queries(board).values():
            expr = interpolate(selector, ALL)
            named |= metric_names(expr)
            for regex in name_regexes(expr):
                named.update(regex.split("|"))
    return named


async def test_every_metric_named_exists_on_the_demo(demo: Demo) -> None:
    exported = exported_names(await demo.scrape())
    missing = sorted(_named_metrics() - exported)
    assert not missing, f"named by the dashboards, absent from the demo's /metrics: {missing}"


async def _variable(prometheus: PromServer, name: str, selection: dict[str, str]) -> list[str]:
    """A variable's options as Grafana lists them, given the other variables' selection."""
    selector, label = variable_queries(BOARDS["quotameter-quotas"])[name]
    return await prometheus.label_values(label, interpolate(selector, selection))


async def test_variables_list_the_demo_teams_and_namespaces(prometheus: PromServer) -> None:
    assert await _variable(prometheus, "cluster", ALL) == []  # one cluster: no label
    assert set(await _variable(prometheus, "team", ALL)) >= DEMO_TEAMS
    assert set(await _variable(prometheus, "namespace", ALL)) >= DEMO_NAMESPACES
    only_ml = {**ALL, "team": regex_value(["ml"])}
    assert await _variable(prometheus, "namespace", only_ml) == ["ml-training"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def selections(prometheus: PromServer) -> dict[str, dict[str, str]]:
    """Variable values: All, and the picked namespaces with their teams, both as the
    variable queries list them."""
    namespaces = await _variable(prometheus, "namespace", ALL)
    assert set(PICKED_NAMESPACES) <= set(namespaces)
    namespace = regex_value(PICKED_NAMESPACES)
    teams = await prometheus.label_values(
        "team", f'{{__name__=~"quotameter_namespace_pods", namespace=~"{namespace}"}}'
    )
    assert len(teams) == len(PICKED_NAMESPACES)
    picked = {"cluster": ".*", "team": regex_value(teams), "namespace": namespace}
    assert set(await _variable(prometheus, "namespace", picked)) >= set(PICKED_NAMESPACES)
    return {"all": ALL, "picked": picked}


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@pytest.mark.parametrize("selection", ["all", "picked"])
async def test_panel_query_returns_data(
    prometheus: PromServer,
    selections: dict[str, dict[str, str]],
    target: Target,
    selection: str,
) -> None:
    values = {**textbox_defaults(BOARDS[target.board]), **selections[selection]}
    expr = interpolate(target.expr, values)
    if target.instant:
        result = await prometheus.query(expr)
    else:
        result = await prometheus.query_range(expr, seconds=RANGE_SECONDS)
    assert result, f"no series for {target.name}: {expr}"
