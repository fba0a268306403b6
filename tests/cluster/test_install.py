"""`kubectl apply -k deploy/` into the real apiserver, with real RBAC and Pod Security:
the restricted standard admits the Deployment's pod, and the daemon, run with a token of
its own ServiceAccount, becomes ready, exports what the admin sees, and may not read
Secrets or write anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cluster.launcher import ControlPlane
from tests.cluster.installing import (
    TENANT_METRICS,
    TENANT_SERIES,
    WRITE_VERBS,
    can_i,
    create_restricted_namespace,
    failed_creates,
    install_crds,
    privileged_pod,
    sa_kubeconfig,
    tenant,
)
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import REPO, get_json, only

SA = "system:serviceaccount:observability:quotameter"
NS = "installed"


@pytest.fixture(scope="module")
def installed(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    cp = control_plane
    install_crds(cp)
    create_restricted_namespace(cp, "observability")
    cp.kubectl("apply", "-k", str(REPO / "deploy"))
    cp.kubectl("apply", "-f", "-", input=tenant(NS))
    yield cp
    cp.kubectl("delete", "namespace", NS, "observability", "--wait=true", "--timeout=120s")


def test_restricted_pod_security_admits_the_deployments_pod(installed: ControlPlane) -> None:
    def admitted() -> list[dict]:
        return get_json(
            installed, "pods", "-n", "observability", "-l", "app.kubernetes.io/name=quotameter"
        )["items"]

    wait_for(admitted, within=60, what="the quotameter pod to be admitted")
    assert failed_creates(installed, "observability") == []
    # The namespace does enforce: a pod without the restricted security context is refused.
    refused = installed.kubectl(
        "apply", "-f", "-", input=privileged_pod("observability"), check=False
    )
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr


def test_daemon_with_its_serviceaccount_token_exports_what_admin_sees(
    installed: ControlPlane, run_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    as_admin = run_daemon()
    kubeconfig = sa_kubeconfig(
        installed, tmp_path / "sa.kubeconfig", account="quotameter", namespace="observability"
    )
    as_sa = run_daemon(kubeconfig=kubeconfig)

    def same() -> bool:
        ours = only(as_sa.samples(), TENANT_METRICS, {NS})
        return len(ours) == TENANT_SERIES and ours == only(as_admin.samples(), TENANT_METRICS, {NS})

    wait_for(same, within=30, what="the ServiceAccount's daemon to export the admin's values")
    errors = [k for k in as_sa.samples() if k[0] == "quotameter_api_errors_total"]
    assert errors == []


def test_serviceaccount_may_not_read_secrets_or_write(installed: ControlPlane) -> None:
    def can(verb: str, resource: str) -> str:
        return can_i(installed, SA, verb, resource)

    assert [can(v, "secrets") for v in ("get", "list", "watch")] == ["no", "no", "no"]
    for resource in ("pods", "resourcequotas", "namespaces", "events", "nodes", "configmaps"):
        assert [can(v, resource) for v in WRITE_VERBS] == ["no"] * len(WRITE_VERBS), resource
    assert [can(v, "pods") for v in ("get", "list", "watch")] == ["yes", "yes", "yes"]
