"""What the install tests (kustomize and Helm) share: the prometheus-operator CRDs, a
restricted namespace, a tenant namespace for the daemon to report on, a kubeconfig holding a
ServiceAccount's token, and the checks each install must pass."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import REPO, get_json, only

# The ServiceMonitor and PrometheusRule CRDs with their real schemas, from the
# prometheus-operator Go module pinned in cluster/crds (v0.85.0, the only version the
# module proxy lists here).
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator"
CRDS = ("monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml")
# What the tenant's quota and limit range export: 3 quota keys x (hard, used), and 4
# limitrange series (default and defaultRequest of cpu and memory).
TENANT_SERIES = 3 * 2 + 4
TENANT_METRICS = {"quotameter_quota_hard", "quotameter_quota_used", "quotameter_limitrange"}
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def crd_files() -> list[Path]:
    """The two CRD files, from the module cache (`go mod download` fetches them once)."""
    done = subprocess.run(
        ["go", "mod", "download", "-json", PROMETHEUS_OPERATOR],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO / "cluster" / "crds",
    )
    root = Path(json.loads(done.stdout)["Dir"]) / "example" / "prometheus-operator-crd"
    return [root / name for name in CRDS]


def install_crds(cp: ControlPlane) -> None:
    """Apply the CRDs (server-side, so a second apply is a no-op) and wait for them."""
    for crd in crd_files():
        cp.kubectl("apply", "--server-side", "-f", str(crd))
    cp.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")


def create_restricted_namespace(cp: ControlPlane, name: str) -> None:
    """A namespace that enforces the restricted Pod Security standard."""
    cp.kubectl("create", "namespace", name)
    cp.kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")


def tenant(ns: str) -> str:
    """A team's namespace with a quota, a limit range and one pod, as YAML."""
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}, labels: {{team: tenants}}}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {{name: tenant-quota, namespace: {ns}}}
spec: {{hard: {{pods: "10", requests.cpu: "4", limits.memory: 8Gi}}}}
---
apiVersion: v1
kind: LimitRange
metadata: {{name: tenant-limits, namespace: {ns}}}
spec:
  limits:
  - type: Container
    default: {{cpu: 200m, memory: 256Mi}}
    defaultRequest: {{cpu: 100m, memory: 128Mi}}
---
apiVersion: v1
kind: Pod
metadata: {{name: tenant, namespace: {ns}}}
spec:
  containers: [{{name: main, image: registry.example.com/t:1}}]
"""


PRIVILEGED_POD = """
apiVersion: v1
kind: Pod
metadata: {{name: intruder, namespace: {ns}}}
spec:
  containers:
  - name: main
    image: registry.example.com/i:1
"""


def admitted_pod(cp: ControlPlane, ns: str, selector: str) -> dict:
    """Wait for the one pod `selector` picks in `ns` (its ReplicaSet got it past Pod
    Security), check that nothing was refused and that the namespace does enforce the
    restricted standard; returns the pod."""

    def pods() -> list[dict]:
        return get_json(cp, "pods", "-n", ns, "-l", selector)["items"]

    wait_for(pods, within=60, what=f"a pod {selector} to be admitted in {ns}")
    events = get_json(cp, "events", "-n", ns, "--field-selector=reason=FailedCreate")
    assert events["items"] == []
    refused = cp.kubectl("apply", "-f", "-", input=PRIVILEGED_POD.format(ns=ns), check=False)
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr
    (pod,) = pods()
    return pod


def assert_exports_what_admin_sees(as_sa: DaemonProcess, as_admin: DaemonProcess, ns: str) -> None:
    """The daemon run with a ServiceAccount's token exports the tenant's quota and limit
    range series exactly as the admin's daemon does, with no API errors."""

    def same() -> bool:
        ours = only(as_sa.samples(), TENANT_METRICS, {ns})
        return len(ours) == TENANT_SERIES and ours == only(as_admin.samples(), TENANT_METRICS, {ns})

    wait_for(same, within=30, what="the ServiceAccount's daemon to export the admin's values")
    assert [k for k in as_sa.samples() if k[0] == "quotameter_api_errors_total"] == []


def assert_read_only(cp: ControlPlane, user: str) -> None:
    """`user` may read pods but no Secret, and write nothing the daemon looks at."""

    def can(verb: str, resource: str) -> str:
        done = cp.kubectl("auth", "can-i", verb, resource, "--as", user, "-A", check=False)
        return done.stdout.strip()

    assert [can(v, "secrets") for v in ("get", "list", "watch")] == ["no", "no", "no"]
    for resource in ("pods", "resourcequotas", "namespaces", "events", "nodes", "configmaps"):
        assert [can(v, resource) for v in WRITE_VERBS] == ["no"] * len(WRITE_VERBS), resource
    assert [can(v, "pods") for v in ("get", "list", "watch")] == ["yes", "yes", "yes"]


def sa_kubeconfig(cp: ControlPlane, path: Path, *, account: str, namespace: str) -> Path:
    """A kubeconfig holding a TokenRequest token of a ServiceAccount."""
    token = cp.kubectl("create", "token", account, "-n", namespace).stdout.strip()
    config = json.loads(cp.kubeconfig.read_text())
    config["users"] = [{"name": "admin", "user": {"token": token}}]
    path.write_text(json.dumps(config))
    return path
