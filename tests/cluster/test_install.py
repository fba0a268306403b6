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
    admitted_pod,
    assert_exports_what_admin_sees,
    assert_read_only,
    create_restricted_namespace,
    install_crds,
    sa_kubeconfig,
    tenant,
)
from tests.cluster.processes import DaemonProcess
from tests.cluster.reading import REPO

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
    pod = admitted_pod(installed, "observability", "app.kubernetes.io/name=quotameter")
    assert pod["spec"]["serviceAccountName"] == "quotameter"


def test_daemon_with_its_serviceaccount_token_exports_what_admin_sees(
    installed: ControlPlane, run_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    as_admin = run_daemon()
    kubeconfig = sa_kubeconfig(
        installed, tmp_path / "sa.kubeconfig", account="quotameter", namespace="observability"
    )
    assert_exports_what_admin_sees(run_daemon(kubeconfig=kubeconfig), as_admin, NS)


def test_serviceaccount_may_not_read_secrets_or_write(installed: ControlPlane) -> None:
    assert_read_only(installed, SA)
