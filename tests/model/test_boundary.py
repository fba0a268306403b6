"""The decode boundary: values Kubernetes cannot represent, or our arithmetic cannot
carry, are refused once at the edge, counted per kind and reported with the object."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.model.bodies import (
    Container,
    LimitRange,
    Namespace,
    Node,
    Pod,
    ResourceList,
    ResourceQuota,
)
from exporter.model.health import InformerHealth, ParseProblem
from exporter.model.quantities import MAX_RESOURCE_NANOS, QuantityError, resource_from_json
from exporter.model.state import ClusterState
from exporter.model.teams import TeamRules

GI = 2**30 * 10**9


def pod(name: str, requests: ResourceList, *, ns: str = "poison") -> Pod:
    container: Container = {"name": "main", "resources": {"requests": requests}}
    return {
        "metadata": {"name": name, "namespace": ns, "uid": name},
        "spec": {"containers": [container]},
        "status": {"phase": "Running"},
    }


def new_state() -> tuple[ClusterState, InformerHealth, list[ParseProblem]]:
    problems: list[ParseProblem] = []
    health = InformerHealth(on_parse_error=problems.append)
    return ClusterState(health=health), health, problems


@pytest.mark.parametrize(
    ("text", "why"),
    [("1e400", "out of range"), ("1e300", "out of range"), ("9223372036854775808", "range"),
     ("-1", "negative"), ("-5m", "negative")],
)  # fmt: skip
def test_amounts_past_int64_or_below_zero_are_refused(text: str, why: str) -> None:
    with pytest.raises(QuantityError, match=why):
        resource_from_json(text)


def test_the_largest_amount_kubernetes_carries_is_accepted() -> None:
    assert resource_from_json("8Ei").nanos == MAX_RESOURCE_NANOS  # BinarySI caps at int64
    assert resource_from_json("9223372036854775807").nanos == MAX_RESOURCE_NANOS


def test_a_poisoned_pod_is_skipped_counted_and_reported_with_its_name() -> None:
    """Issue 11, case 1: `memory: 1e400` crashed the aggregates and every scrape."""
    state, health, problems = new_state()
    state.add_listed("pods", [pod("good", {"cpu": "1", "memory": "1Gi"})])
    before = state.snapshot()
    state.apply("pods", "ADDED", pod("huge", {"memory": "1e400"}))
    state.apply("pods", "ADDED", pod("big-cpu", {"cpu": "1e300"}))
    assert health.parse_errors_total["pods"] == 2
    assert [(p.kind, p.namespace, p.name) for p in problems] == [
        ("pods", "poison", "huge"),
        ("pods", "poison", "big-cpu"),
    ]
    assert "out of range" in problems[0].reason
    assert state.pod("poison", "huge") is None
    after = state.snapshot()
    assert after.namespaces == before.namespaces
    assert dict(after.namespaces[0].requests) == {"cpu": 10**9, "memory": GI}


def test_a_pod_turning_poisonous_drops_its_last_good_version() -> None:
    state, health, _ = new_state()
    state.apply("pods", "ADDED", pod("p", {"cpu": "1"}, ns="dev"))
    state.apply("pods", "MODIFIED", pod("p", {"cpu": "-1"}, ns="dev"))
    assert state.pod("dev", "p") is None
    assert health.parse_errors_total["pods"] == 1


def test_quota_limitrange_and_node_values_are_bounded_too() -> None:
    state, health, problems = new_state()
    quota: ResourceQuota = {
        "metadata": {"name": "q", "namespace": "dev"},
        "status": {"hard": {"requests.cpu": "1e400"}, "used": {}},
    }
    limitrange: LimitRange = {
        "metadata": {"name": "lr", "namespace": "dev"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "-1Gi"}}]},
    }
    node: Node = {"metadata": {"name": "n1"}, "status": {"capacity": {"cpu": "1e30"}}}
    state.apply("resourcequotas", "ADDED", quota)
    state.apply("limitranges", "ADDED", limitrange)
    state.apply("nodes", "ADDED", node)
    assert dict(health.parse_errors_total) == {"resourcequotas": 1, "limitranges": 1, "nodes": 1}
    assert [p.name for p in problems] == ["q", "lr", "n1"]
    assert state.nodes() == []
    assert state.snapshot().spaces == ()


def test_a_budget_annotation_past_a_float_is_no_budget() -> None:
    """Issue 11, case 11: `1e309` was exported as +Inf."""
    state, health, problems = new_state()
    body: Namespace = {
        "metadata": {"name": "dev", "annotations": {"quotameter.io/monthly-budget": "1e309"}}
    }
    state.apply("namespaces", "ADDED", body)
    record = state.namespace("dev")
    assert record is not None
    assert (record.monthly_budget, record.budget_invalid) == (None, True)
    assert health.parse_errors_total["namespaces"] == 1
    assert problems[0].name == "dev"


@pytest.mark.parametrize(
    "bad",
    [{"count": 2**40}, {"count": -1}, {"count": True}, {"count": "7"},
     {"series": {"count": 10**30}}, {"message": ["exceeded quota"]}],
)  # fmt: skip
def test_events_with_absurd_counts_are_not_counted(bad: dict[str, Any]) -> None:
    state, health, problems = new_state()
    event: Any = {  # an Event with one field of a shape no API server sends
        "metadata": {"name": "rs.1", "namespace": "dev", "uid": "u1"},
        "reason": "FailedCreate",
        "message": 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, '
        "limited: pods=1",
        "count": 1,
    } | bad
    state.begin_relist("events")
    state.end_relist("events")  # past the startup baseline: new Events count
    state.apply("events", "ADDED", event)
    assert state.rejections.totals() == {}
    assert health.parse_errors_total["events"] == 1
    assert [(p.namespace, p.name) for p in problems] == [("dev", "rs.1")]


@pytest.mark.parametrize(
    "event",
    [[], {"metadata": [], "reason": "FailedCreate"}, {"metadata": "x"},
     {"reason": "FailedCreate", "message": "x", "firstTimestamp": "2025-01-01T00:00:00",
      "metadata": {"uid": "u", "creationTimestamp": "2026-01-01T00:00:00Z"}}],
)  # fmt: skip
def test_events_of_the_wrong_shape_never_raise(event: object) -> None:
    state, _, _ = new_state()
    state.apply("events", "ADDED", event)  # type: ignore[arg-type]  # malformed, on purpose
    state.apply("events", "DELETED", event)  # type: ignore[arg-type]  # likewise
    assert state.rejections.totals() == {}


def test_a_team_rule_naming_a_missing_group_is_refused_at_build() -> None:
    """Issue 11, case 5: `team: "\\g<nope>"` crash-looped the namespaces informer."""
    with pytest.raises(ValueError, match="no group named 'nope'"):
        TeamRules.build(name_rules=[(r"^team-(?P<name>.*)$", r"\g<nope>")])
    with pytest.raises(ValueError, match="no group 2"):
        TeamRules.build(name_rules=[(r"^team-(.*)$", r"\2")])
    rules = TeamRules.build(name_rules=[(r"^team-(?P<name>.*)$", r"\g<name>")])
    assert rules.name_rules[0][1] == r"\g<name>"
