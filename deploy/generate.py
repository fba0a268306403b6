#!/usr/bin/env python3
"""Write what deploy/ derives from other files; `--check` only reports what is stale.

- deploy/base/prometheusrule.yaml from deploy/rules/quotameter.rules.yaml (the source of
  truth for the alerts), and the example overlay's threshold PrometheusRule from
  deploy/rules/thresholds.example.yaml: the same groups wrapped for prometheus-operator.
- deploy/base/dashboards/: a copy of dashboards/*.json and a kustomization that turns each
  file into a ConfigMap for the Grafana sidecar. kustomize reads nothing outside the
  kustomization's own tree, so the dashboards are copied rather than referenced.

Usage: python deploy/generate.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
DASHBOARDS = ROOT / "dashboards"
BASE_DASHBOARDS = DEPLOY / "base" / "dashboards"

# (rule file, PrometheusRule file, PrometheusRule name)
RULE_TARGETS = (
    (
        DEPLOY / "rules" / "quotameter.rules.yaml",
        DEPLOY / "base" / "prometheusrule.yaml",
        "quotameter",
    ),
    (
        DEPLOY / "rules" / "thresholds.example.yaml",
        DEPLOY / "overlays" / "example" / "thresholds-prometheusrule.yaml",
        "quotameter-thresholds",
    ),
)

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


def prometheus_rule(source: Path, name: str) -> str:
    """The PrometheusRule manifest carrying the groups of the rule file ``source``."""
    groups = yaml.safe_load(source.read_text(encoding="utf-8"))["groups"]
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "labels": dict(LABELS)},
        "spec": {"groups": groups},
    }
    origin = source.relative_to(ROOT).as_posix()
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


def wanted() -> dict[Path, bytes]:
    """Every generated file and the bytes it should hold."""
    files: dict[Path, bytes] = {}
    for source, target, name in RULE_TARGETS:
        files[target] = prometheus_rule(source, name).encode()
    dashboards = dashboard_files()
    for path in dashboards:
        files[BASE_DASHBOARDS / path.name] = path.read_bytes()
    files[BASE_DASHBOARDS / "kustomization.yaml"] = dashboards_kustomization(dashboards).encode()
    return files


def stray_dashboards(files: dict[Path, bytes]) -> list[Path]:
    """Copied dashboards whose original is gone."""
    return [p for p in sorted(BASE_DASHBOARDS.glob("*.json")) if p not in files]


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
