"""RBAC: quotameter reads, and reads only what its informers list and watch.

Fails on any verb beyond get/list/watch, on any wildcard, and on any access to Secrets,
in the base and in the overlay (an overlay must not widen it either)."""

from __future__ import annotations

from typing import Any

from .conftest import Manifest, only

READ_VERBS = {"get", "list", "watch"}
# What the informers and the metrics.k8s.io poller read; nothing else.
EXPECTED = {
    ("", "namespaces"), ("", "pods"), ("", "resourcequotas"), ("", "limitranges"),
    ("", "nodes"), ("", "persistentvolumeclaims"), ("", "events"),
    ("metrics.k8s.io", "pods"), ("metrics.k8s.io", "nodes"),
}  # fmt: skip
RBAC_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def rules(manifests: list[Manifest]) -> list[dict[str, Any]]:
    """Every rule of every Role and ClusterRole."""
    return [r for o in manifests if o["kind"] in {"Role", "ClusterRole"} for r in o["rules"]]


def test_only_read_verbs(manifests: list[Manifest]) -> None:
    for rule in rules(manifests):
        assert set(rule["verbs"]) <= READ_VERBS, rule


def test_no_wildcards_no_urls_no_names(manifests: list[Manifest]) -> None:
    for rule in rules(manifests):
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[key], rule
        assert not any("*" in r or "/" in r for r in rule["resources"]), rule  # no subresources
        assert "nonResourceURLs" not in rule
        assert "resourceNames" not in rule


def test_no_secrets(manifests: list[Manifest]) -> None:
    for rule in rules(manifests):
        assert "secrets" not in rule["resources"], rule


def test_exactly_what_the_informers_read(manifests: list[Manifest]) -> None:
    granted = {
        (g, r) for rule in rules(manifests) for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert granted == EXPECTED
    for rule in rules(manifests):
        assert set(rule["verbs"]) == READ_VERBS, rule


def test_bound_to_quotameters_service_account_only(manifests: list[Manifest]) -> None:
    assert {o["kind"] for o in manifests} & RBAC_KINDS == {"ClusterRole", "ClusterRoleBinding"}
    binding = only(manifests, "ClusterRoleBinding")
    role = only(manifests, "ClusterRole")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    account = only(manifests, "ServiceAccount")
    assert binding["subjects"] == [
        {
            "kind": "ServiceAccount",
            "name": account["metadata"]["name"],
            "namespace": account["metadata"]["namespace"],
        }
    ]
    pod = only(manifests, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    # Nothing else in the namespace gets the token by default.
    assert account["automountServiceAccountToken"] is False
    assert pod["automountServiceAccountToken"] is True
