"""`helm install` of deploy/helm/quotameter into the real apiserver, into a namespace that
enforces the restricted Pod Security standard: the release deploys, the ReplicaSet's pod
is admitted, the daemon run with a token of the chart's ServiceAccount becomes ready and
exports what the admin sees, it may not read Secrets or write, and `helm uninstall` takes
the cluster-scoped objects away again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from cluster.launcher import ControlPlane
from tests.cluster import installing
from tests.cluster.helming import ALL_OPTIONS, CHART, Helm
from tests.cluster.processes import DaemonProcess
from tests.cluster.reading import get_json

RELEASE = "qm"
NS = "helm-restricted"
TENANT = "helm-tenant"
FULLNAME = "qm-quotameter"
SA = f"system:serviceaccount:{NS}:{FULLNAME}"
VALUES = {
    "clusterName": "loopback",
    "apiToken": {"existingSecret": "quotameter-api"},
    "prometheusRule": {"thresholds": [{"alert": "QuotameterQuotaAlmostFull", "value": 0.8}]},
}


@pytest.fixture(scope="module")
def released(control_plane: ControlPlane, helm: Helm) -> Iterator[ControlPlane]:
    cp = control_plane
    installing.install_crds(cp)
    installing.create_restricted_namespace(cp, NS)
    cp.kubectl("create", "secret", "generic", "quotameter-api", "-n", NS, "--from-literal=token=t")
    values = helm.values_file(VALUES, "install-values.yaml")
    helm.run(
        "install", RELEASE, str(CHART), "--namespace", NS, "--values", str(values),
        "--timeout", "2m", kubeconfig=cp.kubeconfig,
    )  # fmt: skip
    cp.kubectl("apply", "-f", "-", input=installing.tenant(TENANT))
    yield cp
    helm.run("uninstall", RELEASE, "--namespace", NS, check=False, kubeconfig=cp.kubeconfig)
    cp.kubectl("delete", "namespace", NS, TENANT, "--wait=true", "--timeout=120s")


def test_the_release_is_deployed_with_every_object(released: ControlPlane, helm: Helm) -> None:
    status = json.loads(
        helm.run("status", RELEASE, "-n", NS, "-o", "json", kubeconfig=released.kubeconfig).stdout
    )
    assert status["info"]["status"] == "deployed"
    for kind, name in (
        ("deployment", FULLNAME),
        ("service", FULLNAME),
        ("servicemonitor", FULLNAME),
        ("networkpolicy", FULLNAME),
        ("persistentvolumeclaim", f"{FULLNAME}-ledger"),
        ("configmap", f"{FULLNAME}-pricing"),
    ):
        assert get_json(released, kind, name, "-n", NS)["metadata"]["name"] == name
    rules = get_json(released, "prometheusrules", "-n", NS)["items"]
    assert sorted(r["metadata"]["name"] for r in rules) == [FULLNAME, f"{FULLNAME}-thresholds"]
    dashboards = get_json(released, "configmaps", "-n", NS, "-l", "grafana_dashboard=1")
    assert len(dashboards["items"]) == 3


def test_the_server_accepts_every_option_strictly(released: ControlPlane, helm: Helm) -> None:
    """A server-side dry run with strict field validation: no field the apiserver (or a
    CRD's schema) does not know, with every value set."""
    objects = helm.template(ALL_OPTIONS, release="dry", namespace=NS)
    done = released.kubectl(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-",
        input=yaml.safe_dump_all(objects), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("(server dry run)") == len(objects)


def test_restricted_pod_security_admits_the_charts_pod(released: ControlPlane) -> None:
    selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component=exporter"
    pod = installing.admitted_pod(released, NS, selector)
    assert pod["spec"]["serviceAccountName"] == FULLNAME
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["QUOTAMETER_CLUSTER_NAME"]["value"] == "loopback"
    assert env["QUOTAMETER_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "quotameter-api"


def test_daemon_with_the_charts_serviceaccount_exports_what_admin_sees(
    released: ControlPlane, run_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    as_admin = run_daemon()
    kubeconfig = installing.sa_kubeconfig(
        released, tmp_path / "sa.kubeconfig", account=FULLNAME, namespace=NS
    )
    installing.assert_exports_what_admin_sees(run_daemon(kubeconfig=kubeconfig), as_admin, TENANT)


def test_the_charts_serviceaccount_may_not_read_secrets_or_write(released: ControlPlane) -> None:
    installing.assert_read_only(released, SA)


def test_uninstall_removes_the_cluster_scoped_objects(released: ControlPlane, helm: Helm) -> None:
    """Last in this module: the fixture's own uninstall then finds nothing left to do."""
    assert get_json(released, "clusterrole", FULLNAME)["metadata"]["name"] == FULLNAME
    helm.run("uninstall", RELEASE, "-n", NS, kubeconfig=released.kubeconfig)
    for kind in ("clusterrole", "clusterrolebinding"):
        gone = released.kubectl("get", kind, FULLNAME, check=False)
        assert gone.returncode != 0
        assert "NotFound" in gone.stderr
