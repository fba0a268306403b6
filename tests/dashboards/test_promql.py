"""Every panel query and variable query is valid PromQL once Grafana has filled in the
template variables, whether they are set to All or to particular values."""

from __future__ import annotations

import promql_parser
import pytest

from tests.dashboards.queries import (
    Target,
    interpolate,
    load_dashboards,
    metric_names,
    regex_value,
    targets,
    textbox_defaults,
    variable_queries,
)

BOARDS = load_dashboards()
TARGETS = targets(BOARDS)
ALL = {"cluster": ".*", "team": ".*", "namespace": ".*"}
PICKED = {
    "cluster": regex_value(["eu-1"]),
    "team": regex_value(["agents", "ml"]),
    "namespace": regex_value(["staging", "ml-training", "odd.name+(x)"]),
}


def values(target: Target, selection: dict[str, str]) -> dict[str, str]:
    return {**textbox_defaults(BOARDS[target.board]), **selection}


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@pytest.mark.parametrize("selection", [ALL, PICKED], ids=["all", "picked"])
def test_query_parses(target: Target, selection: dict[str, str]) -> None:
    expr = interpolate(target.expr, values(target, selection))
    parsed = promql_parser.parse(expr)
    assert parsed.prettify()


def test_queries_name_only_quotameter_metrics() -> None:
    for target in TARGETS:
        names = metric_names(interpolate(target.expr, values(target, ALL)))
        assert names, f"{target.name} selects no metric by name"
        assert all(n.startswith("quotameter_") for n in names), target.name


@pytest.mark.parametrize("stem", sorted(BOARDS))
def test_variable_selectors_parse(stem: str) -> None:
    for name, (selector, label) in variable_queries(BOARDS[stem]).items():
        promql_parser.parse(interpolate(selector, ALL))
        assert label == name


def test_regex_values_are_escaped_like_grafana() -> None:
    assert regex_value(["dev"]) == "dev"
    assert regex_value(["dev", "prod"]) == "(dev|prod)"
    assert regex_value(["a.b"]) == "a\\\\.b"  # PromQL text a\\.b: the regex a\.b
    parsed = promql_parser.parse(f'up{{namespace=~"{regex_value(["a.b", "c"])}"}}')
    assert isinstance(parsed, promql_parser.VectorSelector)
    (matcher,) = parsed.matchers.matchers
    assert matcher.value == "(a\\.b|c)"


def test_unknown_variables_are_refused() -> None:
    with pytest.raises(KeyError, match="undefined template variable"):
        interpolate('up{x=~"$nope"}', ALL)
