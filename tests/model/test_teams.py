"""Team resolution: namespace labels, then annotations, then name rules, else unallocated."""

from __future__ import annotations

import pytest

from exporter.model.bodies import Namespace, Pod
from exporter.model.records import decode_namespace, decode_pod
from exporter.model.teams import UNALLOCATED, TeamRules, namespace_team, pod_team

RULES = TeamRules.build(
    label_keys=["team", "owner"],
    annotation_keys=["example.com/team"],
    name_rules=[(r"^ml-", "ml"), (r"^team-(?P<team>[a-z]+)-", r"\g<team>"), (r"^(x)?y-", r"\1")],
)


def ns(name: str, *, labels: dict | None = None, annotations: dict | None = None):
    body: Namespace = {
        "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}}
    }
    return decode_namespace(
        body, label_keys=RULES.label_keys, annotation_keys=RULES.annotation_keys
    )


@pytest.mark.parametrize(
    ("name", "labels", "annotations", "team"),
    [
        ("dev", {"team": "agents", "owner": "bob"}, {"example.com/team": "a"}, "agents"),
        ("dev", {"owner": "bob"}, {"example.com/team": "a"}, "bob"),
        ("dev", {"team": ""}, {"example.com/team": "a"}, "a"),  # an empty label says nothing
        ("ml-training", {}, {"example.com/team": "a"}, "a"),
        ("ml-training", {}, {}, "ml"),
        ("team-search-prod", {}, {}, "search"),
        ("y-sandbox", {}, {}, UNALLOCATED),  # the group matched nothing: no team from it
        ("kube-system", {}, {}, UNALLOCATED),
    ],
)
def test_namespace_team_order(name: str, labels: dict, annotations: dict, team: str) -> None:
    assert namespace_team(name, ns(name, labels=labels, annotations=annotations), RULES) == team


def test_default_rules_read_the_team_label_only() -> None:
    rules = TeamRules()
    assert namespace_team("dev", ns("dev", labels={"team": "agents"}), rules) == "agents"
    assert namespace_team("dev", ns("dev", labels={"owner": "bob"}), rules) == UNALLOCATED


def test_an_unknown_namespace_is_resolved_by_name_rules() -> None:
    assert namespace_team("ml-infer", None, RULES) == "ml"
    assert namespace_team("dev", None, RULES) == UNALLOCATED


def test_an_invalid_regex_is_named() -> None:
    with pytest.raises(ValueError, match=r"team rule regex '\(' is invalid"):
        TeamRules.build(name_rules=[("(", "x")])


def vpod(labels: dict[str, str]) -> Pod:
    return {
        "metadata": {"name": "p", "namespace": "vc-sandbox", "labels": labels},
        "spec": {"containers": [{"name": "c"}]},
    }


def test_a_vcluster_pod_team_label_wins_over_the_host_namespace() -> None:
    synced = decode_pod(vpod({"vcluster.loft.sh/managed-by": "sandbox", "team": "web"}))
    assert pod_team(synced, "sandbox-team") == "web"


def test_a_vcluster_pod_without_team_label_takes_the_host_team() -> None:
    synced = decode_pod(vpod({"vcluster.loft.sh/managed-by": "sandbox"}))
    assert pod_team(synced, "sandbox-team") == "sandbox-team"


def test_an_ordinary_pod_team_label_does_not_override_its_namespace() -> None:
    plain = decode_pod(vpod({"team": "web"}))
    assert pod_team(plain, "sandbox-team") == "sandbox-team"
