#!/usr/bin/env python3
"""Write what deploy/ derives from other files; `--check` only reports what is stale.

The alerts' one source is the monitoring mixin (deploy/mixin, jsonnet); the dashboards'
is dashboards/ (`python -m dashboards.build`); the default prices' is
deploy/base/pricing.yaml. From them:

- deploy/rules/quotameter.rules.yaml: the mixin's prometheusAlerts with its default
  _config, rendered by `jsonnet`, as a plain Prometheus rule file.
- deploy/base/prometheusrule.yaml from that rule file, and the example overlay's threshold
  PrometheusRule from deploy/rules/thresholds.example.yaml: the same groups wrapped for
  prometheus-operator.
- deploy/base/dashboards/: a copy of dashboards/*.json and a kustomization that turns each
  file into a ConfigMap for the Grafana sidecar.
- deploy/mixin/dashboards/: the same copies, and index.libsonnet naming them.
- deploy/helm/quotameter/files/: the rule file, the dashboards and the pricing file.

kustomize, Helm and jsonnet-bundler each read nothing outside their own tree, so the
files are copied rather than referenced.

Usage: python deploy/generate.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
DASHBOARDS = ROOT / "dashboards"
BASE_DASHBOARDS = DEPLOY / "base" / "dashboards"
MIXIN = DEPLOY / "mixin"
MIXIN_DASHBOARDS = MIXIN / "dashboards"
CHART_FILES = DEPLOY / "helm" / "quotameter" / "files"
RULES = DEPLOY / "rules" / "quotameter.rules.yaml"
THRESHOLDS_EXAMPLE = DEPLOY / "rules" / "thresholds.example.yaml"
PRICING = DEPLOY / "base" / "pricing.yaml"
# Folders that hold nothing but copies of dashboards/*.json (and what lists them).
DASHBOARD_COPIES = (BASE_DASHBOARDS, MIXIN_DASHBOARDS, CHART_FILES / "dashboards")

RULES_HEADER = """\
quotameter alert rules, a plain Prometheus rule file (`rule_files:` in prometheus.yml).

Generated from the monitoring mixin (deploy/mixin/mixin.libsonnet, its prometheusAlerts
with the default _config) by deploy/generate.py: edit the mixin, not this, then run
`python deploy/generate.py`; tests/deploy fails while they differ. The PrometheusRule in
deploy/base/prometheusrule.yaml and the Helm chart's copy come from this file.
Runbooks: docs/runbooks/alerts.md.

Thresholds are series, so they can be changed without editing this file. Every alert that
has a threshold reads `quotameter:alert_threshold{alert="<Alert>"}`, recorded below
from optional override series that you record yourself, most specific first:

  quotameter:alert_threshold:override{alert="<Alert>", namespace="prod", resource="pods"}
  quotameter:alert_threshold:override{alert="<Alert>", namespace="prod"}
  quotameter:alert_threshold:override{alert="<Alert>", resource="pods"}
  quotameter:alert_threshold:override{alert="<Alert>"}
  the built-in default (the `or vector(...)` at the end of each rule; the mixin's
  _config.thresholds)

Budget thresholds are keyed by `team`, overcommit thresholds by `resource`, the ledger's
by nothing. deploy/rules/thresholds.example.yaml shows how to record overrides;
`vector(+Inf)` silences an alert for what it selects.

The exporter's series carry their own `namespace` label: scrape it with honor_labels
(ServiceMonitor honorLabels: true), or every quota lands in the exporter's namespace.
Descriptions look up related series of the same target (`instance`) and, in a fleet
Prometheus, the same `cluster`; a label that is absent matches series without it.
"""

LABELS = {"app.kubernetes.io/name": "quotameter", "app.kubernetes.io/component": "alerts"}
# grafana_dashboard is what the Grafana sidecar (kube-prometheus-stack's default) looks for.
DASHBOARD_LABELS = {
    "grafana_dashboard": "1",
    "app.kubernetes.io/name": "quotameter",
    "app.kubernetes.io/component": "dashboards",
}
DASHBOARD_ANNOTATIONS = {"grafana_folder": "quotameter"}


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, and indented sequences."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: Any, header: str) -> str:
    """YAML text of ``data`` under a comment header, stable across runs."""
    # One line per string: folding templates like `{{ $labels.x }}` across lines is valid
    # YAML but unreadable.
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=1 << 16, allow_unicode=True)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + body


def jsonnet(expression: str) -> Any:
    """The value of a jsonnet expression over the mixin (`import "mixin.libsonnet"`)."""
    binary = shutil.which("jsonnet")
    if binary is None:
        sys.exit("deploy/generate.py: jsonnet is required (Debian: apt-get install jsonnet)")
    done = subprocess.run(
        [binary, "--jpath", str(MIXIN), "--exec", expression],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"deploy/generate.py: jsonnet failed:\n{done.stderr}")
    return json.loads(done.stdout)


# jsonnet sorts keys; a rule file reads in this order.
RULE_KEYS = ("record", "alert", "expr", "for", "labels", "annotations")
ANNOTATION_KEYS = ("summary", "description", "runbook_url")


def _ordered(mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    rank = {key: i for i, key in enumerate(keys)}
    return {k: mapping[k] for k in sorted(mapping, key=lambda k: rank.get(k, len(keys)))}


def rule_file() -> str:
    """deploy/rules/quotameter.rules.yaml: the mixin's alerts with its default config."""
    groups = jsonnet('(import "mixin.libsonnet").prometheusAlerts')["groups"]
    for group in groups:
        group["rules"] = [_ordered(rule, RULE_KEYS) for rule in group["rules"]]
        for rule in group["rules"]:
            if "annotations" in rule:
                rule["annotations"] = _ordered(rule["annotations"], ANNOTATION_KEYS)
    return dump({"groups": groups}, RULES_HEADER)


def prometheus_rule(text: str, origin: str, name: str) -> str:
    """The PrometheusRule manifest carrying the groups of the rule file text ``text``."""
    groups = yaml.safe_load(text)["groups"]
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "labels": dict(LABELS)},
        "spec": {"groups": groups},
    }
    return dump(manifest, f"Generated from {origin} by deploy/generate.py: edit that, not this.")


def dashboard_files() -> list[Path]:
    """The dashboards to ship, in name order (none yet is fine)."""
    return sorted(DASHBOARDS.glob("*.json")) if DASHBOARDS.is_dir() else []


def configmap_name(path: Path) -> str:
    """A DNS-1123 ConfigMap name for one dashboard file."""
    stem = re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-").removeprefix("quotameter-")
    return f"quotameter-dashboard-{stem}"[:253].rstrip("-")


def dashboards_kustomization(files: list[Path]) -> str:
    """The kustomization that makes one labelled ConfigMap per dashboard file."""
    generators = [{"name": configmap_name(f), "files": [f.name]} for f in files]
    data = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        # Stable names: a hash suffix would leave the old ConfigMap behind on every change,
        # and the sidecar would load both copies of the dashboard.
        "generatorOptions": {
            "disableNameSuffixHash": True,
            "labels": dict(DASHBOARD_LABELS),
            "annotations": dict(DASHBOARD_ANNOTATIONS),
        },
        "configMapGenerator": generators,
    }
    return dump(data, "Generated from dashboards/*.json by deploy/generate.py: do not edit.")


def mixin_index(files: list[Path]) -> str:
    """deploy/mixin/dashboards/index.libsonnet: every copied dashboard by file name."""
    lines = [f"  '{f.name}': import '{f.name}'," for f in files]
    header = "// Generated from dashboards/*.json by deploy/generate.py: do not edit.\n"
    return header + "{\n" + "\n".join(lines) + "\n}\n"


def wanted() -> dict[Path, bytes]:
    """Every generated file and the bytes it should hold."""
    rules = rule_file()
    example = THRESHOLDS_EXAMPLE.read_text(encoding="utf-8")
    files: dict[Path, bytes] = {
        RULES: rules.encode(),
        DEPLOY / "base" / "prometheusrule.yaml": prometheus_rule(
            rules, "deploy/rules/quotameter.rules.yaml", "quotameter"
        ).encode(),
        DEPLOY / "overlays" / "example" / "thresholds-prometheusrule.yaml": prometheus_rule(
            example, "deploy/rules/thresholds.example.yaml", "quotameter-thresholds"
        ).encode(),
        CHART_FILES / "quotameter.rules.yaml": rules.encode(),
        CHART_FILES / "pricing.yaml": PRICING.read_bytes(),
    }
    dashboards = dashboard_files()
    for folder in DASHBOARD_COPIES:
        for path in dashboards:
            files[folder / path.name] = path.read_bytes()
    files[BASE_DASHBOARDS / "kustomization.yaml"] = dashboards_kustomization(dashboards).encode()
    files[MIXIN_DASHBOARDS / "index.libsonnet"] = mixin_index(dashboards).encode()
    return files


def stray_dashboards(files: dict[Path, bytes]) -> list[Path]:
    """Copied dashboards whose original is gone."""
    copies = (p for folder in DASHBOARD_COPIES for p in sorted(folder.glob("*.json")))
    return [p for p in copies if p not in files]


def stale(files: dict[Path, bytes]) -> list[Path]:
    """Generated files that differ from what they should hold, and stray copies."""
    differ = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
    return differ + stray_dashboards(files)


def write(files: dict[Path, bytes]) -> None:
    """Bring every generated file up to date and remove stray dashboard copies."""
    for path in stray_dashboards(files):
        path.unlink()
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    """Generate, or with --check exit 1 naming the stale files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    args = parser.parse_args(argv)
    files = wanted()
    if args.check:
        out_of_date = stale(files)
        for path in out_of_date:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        if out_of_date:
            print("run: python deploy/generate.py", file=sys.stderr)
        return 1 if out_of_date else 0
    write(files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
