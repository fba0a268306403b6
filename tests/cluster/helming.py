"""The pinned helm (cluster/helm, built by cluster/build.sh) and the chart's renderings."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.cluster.reading import REPO

CHART = REPO / "deploy" / "helm" / "quotameter"
Manifest = dict[str, Any]
DIGEST = "sha256:" + "ab" * 32
# Every value set to something other than its default (the chart tests render it; the
# install test has the apiserver dry-run it).
ALL_OPTIONS: dict[str, Any] = {
    "image": {"repository": "registry.example.com/platform/quotameter", "tag": "0.2.0",
              "digest": DIGEST},
    "clusterName": "prod-eu-1",
    "pricing": "currency: EUR\ncpu_core_hour: 0.04\n",
    "namespaces": {"allow": ["dev", "staging"], "deny": ["kube-system"],
                   "selector": "quotameter.io/billed=true"},
    "apiToken": {"existingSecret": "quotameter-api", "key": "bearer"},
    "logLevel": "debug",
    "extraEnv": [{"name": "QUOTAMETER_METRICS_POLL_SECONDS", "value": "15"}],
    "resources": {"requests": {"cpu": "200m", "memory": "512Mi"},
                  "limits": {"cpu": "1", "memory": "2Gi"}},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "persistence": {"size": "5Gi", "storageClassName": "fast"},
    "serviceMonitor": {"labels": {"release": "kube-prometheus-stack"}, "interval": "1m",
                       "scrapeTimeout": "30s"},
    "prometheusRule": {"labels": {"release": "kube-prometheus-stack"}, "thresholds": [
        {"alert": "QuotameterQuotaAlmostFull", "value": 0.8, "namespace": "prod"}]},
    "networkPolicy": {"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "monitoring"}}}]},
}  # fmt: skip


@dataclass(frozen=True)
class Helm:
    """helm with its cache, config and data folders of its own (never the user's)."""

    binary: Path
    home: Path

    def run(
        self, *args: str, check: bool = True, kubeconfig: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run helm; with `check`, fail on a non-zero exit with helm's own message."""
        env = {
            **os.environ,
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }
        if kubeconfig is not None:
            env["KUBECONFIG"] = str(kubeconfig)
        done = subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env=env,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done

    def values_file(self, values: dict[str, Any], name: str = "values.yaml") -> Path:
        """`values` written where helm can read them."""
        path = self.home / name
        path.write_text(yaml.safe_dump(values))
        return path

    def template(
        self,
        values: dict[str, Any] | None = None,
        *,
        release: str = "quotameter",
        namespace: str = "observability",
    ) -> list[Manifest]:
        """`helm template` of the chart, parsed."""
        args = ["template", release, str(CHART), "--namespace", namespace]
        if values:
            args += ["--values", str(self.values_file(values, f"{release}-values.yaml"))]
        return [doc for doc in yaml.safe_load_all(self.run(*args).stdout) if doc]
