"""`kubectl apply -k deploy/` into the real apiserver, with real RBAC and Pod Security:
the restricted standard admits the Deployment's pod, and the daemon, run with a token of
its own ServiceAccount, becomes ready, exports what the admin sees, and may not read
Secrets or write anything."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import REPO, get_json, only

# The ServiceMonitor and PrometheusRule CRDs with their real schemas, from the
# prometheus-operator Go module pinned in cluster/crds (v0.85.0, the only version the
# module proxy lists here).
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator"
CRDS = ("monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml")
SA = "system:serviceaccount:observability:quotameter"
NS = "installed"
TENANT = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{team: tenants}}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: tenant-quota, namespace: {NS}}}
spec: {{hard: {{pods: "10", requests.cpu: "4", limits.memory: 8Gi}}}}
---
apiVersion: v1
kind: LimitRange
metadata: {{name: tenant-limits, namespace: {NS}}}
spec:
  limits:
  - type: Container
    default: {{cpu: 200m, memory: 256Mi}}
    defaultRequest: {{cpu: 100m, memory: 128Mi}}
---
apiVersion: v1
kind: Pod
metadata: {{name: tenant, namespace: {NS}}}
spec:
  containers: [{{name: main, image: registry.example.com/t:1}}]
"""
PRIVILEGED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: intruder, namespace: observability}
spec:
  containers:
  - name: main
    image: registry.example.com/i:1
"""
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def crd_files() -> list[Path]:
    done = subprocess.run(
        ["go", "mod", "download", "-json", PROMETHEUS_OPERATOR],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO / "cluster" / "crds",
    )
    root = Path(json.loads(done.stdout)["Dir"]) / "example" / "prometheus-operator-crd"
    return [root / name for name in CRDS]


@pytest.fixture(scope="module")
def installed(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    cp = control_plane
    for crd in crd_files():
        cp.kubectl("apply", "--server-side", "-f", str(crd))
    cp.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    cp.kubectl("create", "namespace", "observability")
    cp.kubectl(
        "label", "namespace", "observability", "pod-security.kubernetes.io/enforce=restricted"
    )
    cp.kubectl("apply", "-k", str(REPO / "deploy"))
    cp.kubectl("apply", "-f", "-", input=TENANT)
    yield cp
    cp.kubectl("delete", "namespace", NS, "observability", "--wait=true", "--timeout=120s")


def sa_kubeconfig(cp: ControlPlane, path: Path) -> Path:
    """A kubeconfig holding a TokenRequest token of the quotameter ServiceAccount."""
    token = cp.kubectl("create", "token", "quotameter", "-n", "observability").stdout.strip()
    config = json.loads(cp.kubeconfig.read_text())
    config["users"] = [{"name": "admin", "user": {"token": token}}]
    path.write_text(json.dumps(config))
    return path


def test_restricted_pod_security_admits_the_deployments_pod(installed: ControlPlane) -> None:
    def admitted() -> list[dict]:
        return get_json(
            installed, "pods", "-n", "observability", "-l", "app.kubernetes.io/name=quotameter"
        )["items"]

    wait_for(admitted, within=60, what="the quotameter pod to be admitted")
    events = get_json(
        installed, "events", "-n", "observability", "--field-selector=reason=FailedCreate"
    )
    assert events["items"] == []
    # The namespace does enforce: a pod without the restricted security context is refused.
    refused = installed.kubectl("apply", "-f", "-", input=PRIVILEGED_POD, check=False)
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr


def test_daemon_with_its_serviceaccount_token_exports_what_admin_sees(
    installed: ControlPlane, run_daemon: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    as_admin = run_daemon()
    as_sa = run_daemon(kubeconfig=sa_kubeconfig(installed, tmp_path / "sa.kubeconfig"))
    names = {"quotameter_quota_hard", "quotameter_quota_used", "quotameter_limitrange"}

    def same() -> bool:
        ours = only(as_sa.samples(), names, {NS})
        return len(ours) == 3 * 2 + 4 and ours == only(as_admin.samples(), names, {NS})

    wait_for(same, within=30, what="the ServiceAccount's daemon to export the admin's values")
    errors = [k for k in as_sa.samples() if k[0] == "quotameter_api_errors_total"]
    assert errors == []


def test_serviceaccount_may_not_read_secrets_or_write(installed: ControlPlane) -> None:
    def can(verb: str, resource: str) -> str:
        done = installed.kubectl("auth", "can-i", verb, resource, "--as", SA, "-A", check=False)
        return done.stdout.strip()

    assert [can(v, "secrets") for v in ("get", "list", "watch")] == ["no", "no", "no"]
    for resource in ("pods", "resourcequotas", "namespaces", "events", "nodes", "configmaps"):
        assert [can(v, resource) for v in WRITE_VERBS] == ["no"] * len(WRITE_VERBS), resource
    assert [can(v, "pods") for v in ("get", "list", "watch")] == ["yes", "yes", "yes"]
