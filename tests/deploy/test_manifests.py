"""The kustomize base and the example overlay: they render, every object validates against
the Kubernetes 1.32 schemas strictly (offline), the prometheus-operator objects have the
shape their CRDs define, and the pieces are wired to each other as the daemon needs."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from exporter.settings import Settings

from .conftest import DEPLOY, ROOT, Manifest, only
from .crd_shapes import SHAPES

KUBERNETES_VERSION = "1.32"
NAMESPACE = "observability"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
BASE_KINDS = {
    "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
    "PersistentVolumeClaim", "Deployment", "Service", "NetworkPolicy", "ServiceMonitor",
    "PrometheusRule",
}  # fmt: skip
POD_LABELS = {"app.kubernetes.io/name": "quotameter", "app.kubernetes.io/component": "exporter"}
LEDGER_DIR = "/var/lib/quotameter"
PRICING_FILE = "/etc/quotameter/pricing.yaml"
# Set by the Deployment already; the daemon's Settings gain them with the cost model.
ARRIVING_SETTINGS = {"ledger_path", "pricing_file"}
# kubectl apply (client-side) keeps a copy of each object in an annotation capped at 256 KiB.
LAST_APPLIED_LIMIT = 256 * 1024


def kubernetes_validate() -> Any:
    """The kubernetes-validate module; its schemas ship inside the package, so it runs offline."""
    try:
        import kubernetes_validate as module  # type: ignore[import-untyped]  # ships no types
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("kubernetes-validate is not installed (dev extras)")
        pytest.fail("kubernetes-validate is not installed (dev extras)")
    return module


def pod_spec(objects: list[Manifest]) -> dict[str, Any]:
    return only(objects, "Deployment", "quotameter")["spec"]["template"]["spec"]


def container(objects: list[Manifest]) -> dict[str, Any]:
    (one,) = pod_spec(objects)["containers"]
    return one


def test_the_base_has_every_piece(render: Callable[[str], list[Manifest]]) -> None:
    kinds = {o["kind"] for o in render("deploy")}
    assert kinds == BASE_KINDS


def test_namespaced_objects_live_in_observability(manifests: list[Manifest]) -> None:
    for o in manifests:
        expected = None if o["kind"] in CLUSTER_SCOPED else NAMESPACE
        assert o["metadata"].get("namespace") == expected, (o["kind"], o["metadata"]["name"])
    assert only(manifests, "Namespace")["metadata"]["name"] == NAMESPACE


def test_core_objects_validate_strictly_against_kubernetes_schemas(
    manifests: list[Manifest],
) -> None:
    validator = kubernetes_validate()
    checked = 0
    for o in manifests:
        if o["kind"] in SHAPES:
            continue
        validator.validate(o, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == sum(o["kind"] not in SHAPES for o in manifests) > 0


def test_strict_validation_rejects_a_misspelt_field(manifests: list[Manifest]) -> None:
    """The schemas are strict: a field Kubernetes does not know fails instead of vanishing."""
    validator = kubernetes_validate()
    broken = copy.deepcopy(only(manifests, "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(validator.ValidationError):
        validator.validate(broken, KUBERNETES_VERSION, strict=True)


def test_prometheus_operator_objects_have_their_crd_shape(manifests: list[Manifest]) -> None:
    custom = [o for o in manifests if o["kind"] in SHAPES]
    assert {o["kind"] for o in custom} == set(SHAPES)
    for o in custom:
        jsonschema.validate(o, SHAPES[o["kind"]])


def test_crd_shapes_reject_a_misplaced_field(manifests: list[Manifest]) -> None:
    monitor = copy.deepcopy(only(manifests, "ServiceMonitor"))
    monitor["spec"]["honorLabels"] = True  # belongs on the endpoint
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, SHAPES["ServiceMonitor"])


def test_rule_group_names_are_unique(manifests: list[Manifest]) -> None:
    names = [
        g["name"] for o in manifests if o["kind"] == "PrometheusRule" for g in o["spec"]["groups"]
    ]
    assert len(names) == len(set(names))


def test_the_deployment_runs_one_locked_down_replica(manifests: list[Manifest]) -> None:
    deployment = only(manifests, "Deployment", "quotameter")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = pod_spec(manifests)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["enableServiceLinks"] is False
    security = container(manifests)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsNonRoot"] is True


def test_the_container_has_requests_limits_and_probes(manifests: list[Manifest]) -> None:
    c = container(manifests)
    for kind in ("requests", "limits"):
        assert set(c["resources"][kind]) == {"cpu", "memory"}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"metrics": 9184}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["port"] == "metrics"


def test_the_ledger_is_on_the_claim_and_the_pricing_file_mounted(manifests: list[Manifest]) -> None:
    pod = pod_spec(manifests)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(manifests)["volumeMounts"]}
    claim = volumes[mounts[LEDGER_DIR]]["persistentVolumeClaim"]["claimName"]
    pvc = only(manifests, "PersistentVolumeClaim", claim)
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    pricing = volumes[mounts["/etc/quotameter"]]["configMap"]["name"]
    assert "pricing.yaml" in only(manifests, "ConfigMap", pricing)["data"]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    env = {e["name"]: e["value"] for e in container(manifests)["env"]}
    assert env["QUOTAMETER_LEDGER_PATH"].startswith(LEDGER_DIR + "/")
    assert env["QUOTAMETER_PRICING_FILE"] == PRICING_FILE


def settings_of(objects: list[Manifest]) -> dict[str, str]:
    """The Deployment's QUOTAMETER_* variables as Settings field names and values."""
    env = {e["name"]: e["value"] for e in container(objects)["env"]}
    assert all(name.startswith("QUOTAMETER_") for name in env)
    return {name.removeprefix("QUOTAMETER_").lower(): value for name, value in env.items()}


def test_the_environment_is_valid_settings(manifests: list[Manifest]) -> None:
    """Every QUOTAMETER_* variable of the Deployment is a setting the daemon accepts (a
    misspelt one would be ignored and leave, say, the ledger off the volume)."""
    # Strings, as the environment holds them: pydantic coerces each to its field's type.
    fields: dict[str, Any] = {
        k: v for k, v in settings_of(manifests).items() if k not in ARRIVING_SETTINGS
    }
    unknown = set(fields) - set(Settings.model_fields)
    assert not unknown, f"not settings of exporter.settings.Settings: {sorted(unknown)}"
    assert Settings(**fields).port == 9184


@pytest.mark.parametrize("field", sorted(ARRIVING_SETTINGS))
def test_the_ledger_and_pricing_settings_exist(manifests: list[Manifest], field: str) -> None:
    value: Any = settings_of(manifests)[field]  # a string, as above
    assert str(Settings(**{field: value}).model_dump()[field]) == value


@pytest.mark.parametrize("kustomization", ["deploy", "deploy/overlays/example"])
def test_the_pricing_files_are_valid(
    render: Callable[[str], list[Manifest]], kustomization: str
) -> None:
    from exporter.cost.pricing import parse_pricing

    objects = render(kustomization)
    name = pod_spec(objects)["volumes"]
    (pricing,) = [v["configMap"]["name"] for v in name if "configMap" in v]
    parse_pricing(only(objects, "ConfigMap", pricing)["data"]["pricing.yaml"], source=pricing)


def test_service_and_servicemonitor_reach_the_pod(manifests: list[Manifest]) -> None:
    service = only(manifests, "Service", "quotameter")
    assert service["spec"]["selector"] == POD_LABELS
    assert only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"] == POD_LABELS
    (port,) = service["spec"]["ports"]
    assert port["name"] == "metrics"
    assert port["targetPort"] == "metrics"
    monitor = only(manifests, "ServiceMonitor", "quotameter")
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == "/metrics"
    # The exporter's own `namespace` label must survive the scrape.
    assert endpoint["honorLabels"] is True


def test_scrape_timeout_fits_the_interval(manifests: list[Manifest]) -> None:
    (endpoint,) = only(manifests, "ServiceMonitor")["spec"]["endpoints"]
    seconds = {k: int(endpoint[k].removesuffix("s")) for k in ("interval", "scrapeTimeout")}
    assert seconds["scrapeTimeout"] <= seconds["interval"]


def test_the_network_policy_lets_only_the_scrape_in(manifests: list[Manifest]) -> None:
    policy = only(manifests, "NetworkPolicy", "quotameter")["spec"]
    assert policy["podSelector"]["matchLabels"] == POD_LABELS
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    (source,) = rule["from"]
    # Pods of this namespace only (no namespaceSelector), and only Prometheus pods.
    assert source == {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}


def dashboard_files() -> list[str]:
    folder = ROOT / "dashboards"
    return sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []


def test_each_dashboard_is_a_configmap_for_the_grafana_sidecar(manifests: list[Manifest]) -> None:
    maps = [
        o
        for o in manifests
        if o["kind"] == "ConfigMap" and "grafana_dashboard" in o["metadata"].get("labels", {})
    ]
    shipped = {key: m for m in maps for key in m["data"]}
    assert sorted(shipped) == dashboard_files()
    for name, configmap in shipped.items():
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        content = configmap["data"][name]
        assert content == (ROOT / "dashboards" / name).read_text(encoding="utf-8")
        json.loads(content)
        assert len(json.dumps(configmap)) < LAST_APPLIED_LIMIT, f"{name}: too big for kubectl apply"


def test_the_copied_dashboards_match_the_originals() -> None:
    copies = sorted(p.name for p in (DEPLOY / "base" / "dashboards").glob("*.json"))
    assert copies == dashboard_files(), "run: python deploy/generate.py"
    for name in copies:
        copy_bytes = (DEPLOY / "base" / "dashboards" / name).read_bytes()
        assert copy_bytes == (ROOT / "dashboards" / name).read_bytes(), name


def test_the_overlay_names_the_cluster_and_pins_the_image(
    render: Callable[[str], list[Manifest]],
) -> None:
    objects = render("deploy/overlays/example")
    assert container(objects)["image"] == "registry.example.com/platform/quotameter:0.1.0"
    (endpoint,) = only(objects, "ServiceMonitor")["spec"]["endpoints"]
    assert {"targetLabel": "cluster", "replacement": "prod-eu-1"} in endpoint["relabelings"]
    for o in objects:
        if o["kind"] in SHAPES:
            assert o["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert pod_spec(objects)["volumes"] != pod_spec(render("deploy"))["volumes"]
