"""The Helm chart (deploy/helm/quotameter) with the pinned helm: `helm lint --strict` passes;
with default values it renders the kustomize base's objects (less the Namespace, and less
Helm's release bookkeeping); every rendering validates against the Kubernetes schemas and
the prometheus-operator CRD shapes; and each value lands where the daemon reads it."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cluster.launcher import build
from tests.cluster.helming import ALL_OPTIONS, CHART, DIGEST, Helm, Manifest
from tests.cluster.reading import REPO
from tests.deploy.crd_shapes import SHAPES
from tests.deploy.test_linters import ALLOWED_SKIPS, checkov, findings, reason
from tests.deploy.test_manifests import KUBERNETES_VERSION, kubernetes_validate

# Labels Helm's conventions add so that two releases never select each other's pods.
RELEASE_LABELS = ("app.kubernetes.io/instance", "app.kubernetes.io/version",
                  "app.kubernetes.io/managed-by", "helm.sh/chart")  # fmt: skip
# The pod template's checksum of the pricing file plays the part of kustomize's hash suffix.
PRICING_HASH = re.compile(r"^(quotameter-pricing)-[a-z0-9]{10}$")
# checkov's "secrets as files": the daemon takes its API token from the environment only.
TOKEN_IN_ENV = "CKV_K8S_35"
THRESHOLDS_EXAMPLE = REPO / "deploy" / "rules" / "thresholds.example.yaml"


def example_thresholds() -> list[dict[str, Any]]:
    """deploy/rules/thresholds.example.yaml as prometheusRule.thresholds values."""
    rules = yaml.safe_load(THRESHOLDS_EXAMPLE.read_text())["groups"][0]["rules"]
    values = []
    for rule in rules:
        match = re.fullmatch(r"vector\((.+)\)", rule["expr"])
        assert match is not None, rule["expr"]
        (value,) = match.groups()
        values.append({**rule["labels"], "value": value if value == "+Inf" else float(value)})
    return values


def kustomize() -> list[Manifest]:
    """`kubectl kustomize deploy/` with the pinned kubectl."""
    kubectl = build("controlplane")["controlplane"] / "kubectl"
    done = subprocess.run(
        [str(kubectl), "kustomize", str(REPO / "deploy")],
        capture_output=True,
        text=True,
        check=True,
    )
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def _without_release_labels(node: Any, key: str = "") -> Any:
    if isinstance(node, list):
        return [_without_release_labels(v) for v in node]
    if not isinstance(node, dict):
        return node
    if key in ("labels", "matchLabels", "selector"):
        node = {k: v for k, v in node.items() if k not in RELEASE_LABELS}
    return {k: _without_release_labels(v, k) for k, v in node.items()}


def normalised(o: Manifest) -> Manifest:
    """An object without what only Helm or only kustomize adds."""
    o = _without_release_labels(copy.deepcopy(o))
    if o["kind"] == "ConfigMap":
        o["metadata"]["name"] = PRICING_HASH.sub(r"\1", o["metadata"]["name"])
    if o["kind"] == "Deployment":
        pod = o["spec"]["template"]
        pod["metadata"]["annotations"].pop("checksum/pricing", None)
        for volume in pod["spec"]["volumes"]:
            if "configMap" in volume:
                name = volume["configMap"]["name"]
                volume["configMap"]["name"] = PRICING_HASH.sub(r"\1", name)
    return o


def by_key(objects: list[Manifest]) -> dict[tuple[str, str], Manifest]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def only(objects: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def container(objects: list[Manifest]) -> dict[str, Any]:
    (one,) = only(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return one


def env_of(objects: list[Manifest]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(objects)["env"]}


def lint(helm: Helm, *values: str) -> subprocess.CompletedProcess[str]:
    return helm.run("lint", "--strict", str(CHART), *values, check=False)


def test_lint_strict_passes_with_defaults_and_with_every_option(helm: Helm) -> None:
    for args in ((), ("--values", str(helm.values_file(ALL_OPTIONS)))):
        done = lint(helm, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout
        assert "[WARNING]" not in done.stdout


def test_the_values_schema_refuses_a_misspelt_value(helm: Helm) -> None:
    done = lint(helm, "--set", "serviceMonitor.enable=false")
    assert done.returncode != 0
    assert "enable" in done.stdout + done.stderr


def test_defaults_render_the_kustomize_base(helm: Helm) -> None:
    chart = by_key([normalised(o) for o in helm.template()])
    base = by_key([normalised(o) for o in kustomize()])
    # The Namespace is the one object the chart leaves to `helm install --create-namespace`.
    assert set(base) - set(chart) == {("Namespace", "observability")}
    assert set(chart) == set(base) - {("Namespace", "observability")}
    for key, o in chart.items():
        assert o == base[key], key


def test_the_normalisation_only_drops_release_bookkeeping(helm: Helm) -> None:
    deployment = only(helm.template(), "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "quotameter",
                        "app.kubernetes.io/instance": "quotameter",
                        "app.kubernetes.io/component": "exporter"}  # fmt: skip
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/pricing"])


@pytest.mark.parametrize("values", [None, ALL_OPTIONS], ids=["defaults", "every-option"])
def test_renderings_validate_against_the_schemas(helm: Helm, values: Any) -> None:
    validator = kubernetes_validate()
    objects = helm.template(values)
    for o in objects:
        if o["kind"] in SHAPES:
            jsonschema.validate(o, SHAPES[o["kind"]])
        else:
            validator.validate(o, KUBERNETES_VERSION, strict=True)
    assert {o["kind"] for o in objects} >= {"Deployment", "ServiceMonitor", "PrometheusRule"}


@pytest.mark.parametrize("values", [None, ALL_OPTIONS], ids=["defaults", "every-option"])
def test_checkov_finds_nothing_but_the_bases_skips(helm: Helm, tmp_path: Path, values: Any) -> None:
    """The chart keeps the base's security posture: no finding, the base's skips, and with
    an API token one more, whose reason the chart's Deployment template writes."""
    rendered = tmp_path / "chart.yaml"
    rendered.write_text(yaml.safe_dump_all(helm.template(values)))
    failed, skipped = findings(checkov(rendered, "kubernetes"))
    assert not failed, failed
    expected = {check for check, path in ALLOWED_SKIPS.items() if path.startswith("deploy/")}
    if values:
        expected.add(TOKEN_IN_ENV)
    assert {s["check_id"] for s in skipped} == expected
    assert all(len(reason(s)) > 20 for s in skipped)
    assert TOKEN_IN_ENV in (CHART / "templates" / "deployment.yaml").read_text()


def test_the_image_is_pulled_by_digest_once_pinned(helm: Helm) -> None:
    assert container(helm.template())["image"] == "quotameter:0.1.0"
    pinned = container(helm.template(ALL_OPTIONS))["image"]
    assert pinned == f"registry.example.com/platform/quotameter:0.2.0@{DIGEST}"


def test_defaults_set_no_namespace_filter_cluster_name_or_token(helm: Helm) -> None:
    assert set(env_of(helm.template())) == {
        "QUOTAMETER_HOST", "QUOTAMETER_PORT", "QUOTAMETER_LOG_FORMAT", "QUOTAMETER_LOG_LEVEL",
        "QUOTAMETER_LEDGER_PATH", "QUOTAMETER_PRICING_FILE",
    }  # fmt: skip


def test_each_setting_value_reaches_the_daemons_environment(helm: Helm) -> None:
    env = env_of(helm.template(ALL_OPTIONS))
    assert env["QUOTAMETER_CLUSTER_NAME"] == "prod-eu-1"
    # Lists as JSON, which pydantic-settings decodes for list fields.
    assert env["QUOTAMETER_NAMESPACES"] == '["dev","staging"]'
    assert env["QUOTAMETER_NAMESPACES_DENY"] == '["kube-system"]'
    assert env["QUOTAMETER_NAMESPACE_SELECTOR"] == "quotameter.io/billed=true"
    assert env["QUOTAMETER_API_TOKEN"] == {
        "secretKeyRef": {"name": "quotameter-api", "key": "bearer"}
    }
    assert env["QUOTAMETER_LOG_LEVEL"] == "debug"
    assert env["QUOTAMETER_METRICS_POLL_SECONDS"] == "15"


def test_the_pricing_value_is_the_mounted_file_and_rolls_the_pod(helm: Helm) -> None:
    default, custom = helm.template(), helm.template(ALL_OPTIONS)
    shipped = (REPO / "deploy" / "base" / "pricing.yaml").read_text()
    assert only(default, "ConfigMap", "quotameter-pricing")["data"] == {"pricing.yaml": shipped}
    data = only(custom, "ConfigMap", "quotameter-pricing")["data"]
    assert data == {"pricing.yaml": ALL_OPTIONS["pricing"]}

    def checksum(objects: list[Manifest]) -> str:
        pod = only(objects, "Deployment")["spec"]["template"]
        return pod["metadata"]["annotations"]["checksum/pricing"]

    assert checksum(default) != checksum(custom)


def test_resources_persistence_and_scheduling_values(helm: Helm) -> None:
    objects = helm.template(ALL_OPTIONS)
    assert container(objects)["resources"] == ALL_OPTIONS["resources"]
    claim = only(objects, "PersistentVolumeClaim")["spec"]
    assert claim["storageClassName"] == "fast"
    assert claim["resources"]["requests"]["storage"] == "5Gi"
    pod = only(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}


def test_the_cluster_name_labels_every_scraped_series(helm: Helm) -> None:
    assert "relabelings" not in only(helm.template(), "ServiceMonitor")["spec"]["endpoints"][0]
    monitor = only(helm.template(ALL_OPTIONS), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["relabelings"] == [{"targetLabel": "cluster", "replacement": "prod-eu-1"}]
    assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("1m", "30s")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_threshold_values_render_the_example_overrides(helm: Helm) -> None:
    objects = helm.template({"prometheusRule": {"thresholds": example_thresholds()}})
    rule = only(objects, "PrometheusRule", "quotameter-thresholds")
    assert rule["spec"]["groups"] == yaml.safe_load(THRESHOLDS_EXAMPLE.read_text())["groups"]
    # The rules themselves are the rule file, whatever the thresholds.
    rules = yaml.safe_load((REPO / "deploy" / "rules" / "quotameter.rules.yaml").read_text())
    assert only(objects, "PrometheusRule", "quotameter")["spec"]["groups"] == rules["groups"]


def test_the_network_policy_admits_the_configured_peers(helm: Helm) -> None:
    policy = only(helm.template(ALL_OPTIONS), "NetworkPolicy")
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == ALL_OPTIONS["networkPolicy"]["from"]
    assert rule["ports"] == [{"port": "metrics", "protocol": "TCP"}]


def test_each_switch_leaves_its_objects_out(helm: Helm) -> None:
    off = {"serviceMonitor": {"enabled": False}, "prometheusRule": {"enabled": False},
           "dashboards": {"enabled": False}, "networkPolicy": {"enabled": False},
           "persistence": {"enabled": False}}  # fmt: skip
    objects = helm.template(off)
    assert {o["kind"] for o in objects} == {
        "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment",
        "Service",
    }  # fmt: skip
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"] == [
        "quotameter-pricing"
    ]
    volumes = only(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "ledger", "emptyDir": {}} in volumes


def test_another_release_name_prefixes_every_object(helm: Helm) -> None:
    objects = helm.template(release="qm", namespace="monitoring")
    for o in objects:
        assert o["metadata"]["name"].startswith("qm-quotameter"), o["metadata"]["name"]
        if o["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert o["metadata"]["namespace"] == "monitoring"
    (subject,) = only(objects, "ClusterRoleBinding")["subjects"]
    assert subject == {"kind": "ServiceAccount", "name": "qm-quotameter", "namespace": "monitoring"}
    names = sorted(o["metadata"]["name"] for o in objects)
    dashboards = [name for name in names if "-dashboard-" in name]
    assert dashboards == [f"qm-quotameter-dashboard-{d}" for d in ("costs", "exporter", "quotas")]


def test_the_chart_copies_are_what_deploy_generate_writes() -> None:
    files = CHART / "files"
    assert (files / "quotameter.rules.yaml").read_bytes() == (
        REPO / "deploy" / "rules" / "quotameter.rules.yaml"
    ).read_bytes()
    for board in (REPO / "dashboards").glob("*.json"):
        assert (files / "dashboards" / board.name).read_bytes() == board.read_bytes()
