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
from tests.cluster.helming import ALL_OPTIONS, CHART, Helm
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
from tests.cluster.reading import get_json, only

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
    install_crds(cp)
    create_restricted_namespace(cp, NS)
    cp.kubectl("create", "secret", "generic", "quotameter-api", "-n", NS, "--from-literal=token=t")
    values = helm.values_file(VALUES, "install-values.yaml")
    helm.run(
        "install", RELEASE, str(CHART), "--namespace", NS, "--values", str(values),
        "--timeout", "2m", kubeconfig=cp.kubeconfig,
    )  # fmt: skip
    cp.kubectl("apply", "-f", "-", input=tenant(TENANT))
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
    def admitted() -> list[dict]:
        selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component=exporter"
        return get_json(released, "pods", "-n", NS, "-l", selector)["items"]

    wait_for(admitted, within=60, what="the chart's pod to be admitted")
    (pod,) = admitted()
    assert pod["spec"]["serviceAccountName"] == FULLNAME
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["QUOTAMETER_CLUSTER_NAME"]["value"] == "loopback"
    assert env["QUOTAMETER_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "quotameter-api"
    assert failed_creates(released, NS) == []
    refused = released.kubectl("apply", "-f", "-", input=privileged_pod(NS), check=False)
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr


def test_daemon_with_the_charts_serviceaccount_exports_what_admin_sees(
    released: ControlPlane, run_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    as_admin = run_daemon()
    kubeconfig = sa_kubeconfig(released, tmp_path / "sa.kubeconfig", account=FULLNAME, namespace=NS)
    as_sa = run_daemon(kubeconfig=kubeconfig)

    def same() -> bool:
        ours = only(as_sa.samples(), TENANT_METRICS, {TENANT})
        theirs = only(as_admin.samples(), TENANT_METRICS, {TENANT})
        return len(ours) == TENANT_SERIES and ours == theirs

    wait_for(same, within=30, what="the chart ServiceAccount's daemon to export the admin's values")
    assert [k for k in as_sa.samples() if k[0] == "quotameter_api_errors_total"] == []


def test_the_charts_serviceaccount_may_not_read_secrets_or_write(released: ControlPlane) -> None:
    assert [can_i(released, SA, v, "secrets") for v in ("get", "list", "watch")] == ["no"] * 3
    for resource in ("pods", "resourcequotas", "namespaces", "events", "nodes", "configmaps"):
        verbs = [can_i(released, SA, v, resource) for v in WRITE_VERBS]
        assert verbs == ["no"] * len(WRITE_VERBS), resource
    assert [can_i(released, SA, v, "pods") for v in ("get", "list", "watch")] == ["yes"] * 3


def test_uninstall_removes_the_cluster_scoped_objects(released: ControlPlane, helm: Helm) -> None:
    """Last in this module: the fixture's own uninstall then finds nothing left to do."""
    assert get_json(released, "clusterrole", FULLNAME)["metadata"]["name"] == FULLNAME
    helm.run("uninstall", RELEASE, "-n", NS, "--wait", kubeconfig=released.kubeconfig)
    for kind in ("clusterrole", "clusterrolebinding"):
        gone = released.kubectl("get", kind, FULLNAME, check=False)
        assert gone.returncode != 0
        assert "NotFound" in gone.stderr
