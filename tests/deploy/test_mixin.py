"""The monitoring mixin (deploy/mixin): rendered by jsonnet, its default alerts are the rule
file and its dashboards those of dashboards/; promtool checks and unit-tests what it
renders; and each _config knob (job selector, cluster label, thresholds, overrides) reaches
every rule and query it should."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from dashboards import build
from tests.dashboards.queries import interpolate, load_dashboards, targets, textbox_defaults

from .conftest import DEPLOY, RULES, THRESHOLDS_EXAMPLE, load_yaml, run, tool

MIXIN = DEPLOY / "mixin"
HERE = Path(__file__).resolve().parent
JOB = 'job="quotameter"'
ALL = {"cluster": ".*", "team": ".*", "namespace": ".*"}
# A fleet's configuration: its own job, its own cluster label, one default moved.
FLEET = f"""{{
  jobSelector: '{JOB}',
  clusterLabel: 'k8s_cluster',
  thresholds+: {{ QuotameterQuotaAlmostFull: 0.5 }},
}}"""


@functools.cache
def mixin(field: str, config: str = "{}") -> Any:
    """One field of the mixin with `config` (jsonnet) merged into its _config (cached: the
    callers only read it)."""
    expression = f'((import "mixin.libsonnet") + {{ _config+:: {config} }}).{field}'
    result = run([tool("jsonnet"), "--jpath", str(MIXIN), "--exec", expression])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def example_overrides() -> list[dict[str, str]]:
    """deploy/rules/thresholds.example.yaml as _config.thresholdOverrides."""
    overrides = []
    for rule in load_yaml(THRESHOLDS_EXAMPLE)["groups"][0]["rules"]:
        match = re.fullmatch(r"vector\((.+)\)", rule["expr"])
        assert match is not None, rule["expr"]
        (value,) = match.groups()
        overrides.append({**rule["labels"], "value": value})
    return overrides


def selectors(expr: str) -> list[tuple[str, dict[str, str]]]:
    """Every vector selector of an expression: its name and its matchers by label."""
    found: list[tuple[str, dict[str, str]]] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = {m.name: m.value for m in node.matchers.matchers}
            found.append((node.name or matchers.get("__name__", ""), matchers))
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def exprs(groups: list[dict[str, Any]]) -> list[str]:
    return [rule["expr"] for group in groups for rule in group["rules"]]


def write_rules(path: Path, rendered: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(rendered, sort_keys=False))
    return path


def promtool_test(directory: Path, suite: dict[str, Any]) -> str:
    """`promtool test rules` on a suite written into `directory`; its output on success."""
    (directory / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = run([tool("promtool"), "test", "rules", "suite.yaml"], cwd=directory)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_defaults_render_the_rule_file() -> None:
    assert mixin("prometheusAlerts") == {"groups": load_yaml(RULES)["groups"]}
    assert mixin("prometheusRules") == {"groups": []}


def test_the_defaults_render_the_dashboards_of_dashboards_dir() -> None:
    rendered = mixin("grafanaDashboards")
    assert set(rendered) == set(build.generate())
    for stem, board in load_dashboards().items():
        assert rendered[f"{stem}.json"] == board, stem


def test_promtool_accepts_the_rendered_alerts_and_overrides(tmp_path: Path) -> None:
    config = json.dumps({"thresholdOverrides": example_overrides()})
    alerts = write_rules(tmp_path / "alerts.yaml", mixin("prometheusAlerts", config))
    rules = write_rules(tmp_path / "rules.yaml", mixin("prometheusRules", config))
    result = run([tool("promtool"), "check", "rules", str(alerts), str(rules)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 20 rules found" in result.stdout
    assert "SUCCESS: 8 rules found" in result.stdout


def test_the_rule_unit_tests_pass_on_the_rendered_rules(tmp_path: Path) -> None:
    """rules_test.yaml on the rendered alerts; rules_overrides_test.yaml on them plus the
    overrides of thresholds.example.yaml rendered by prometheusRules."""
    config = json.dumps({"thresholdOverrides": example_overrides()})
    write_rules(tmp_path / "alerts.yaml", mixin("prometheusAlerts"))
    overrides = mixin("prometheusRules", config)
    assert overrides["groups"] == load_yaml(THRESHOLDS_EXAMPLE)["groups"]
    write_rules(tmp_path / "overrides.yaml", overrides)
    for name, files in (
        ("rules_test.yaml", ["alerts.yaml"]),
        ("rules_overrides_test.yaml", ["alerts.yaml", "overrides.yaml"]),
    ):
        suite = {**load_yaml(HERE / name), "rule_files": files}
        assert "SUCCESS" in promtool_test(tmp_path, suite), name


def test_the_job_selector_is_on_every_exporter_selector() -> None:
    rendered = mixin("prometheusAlerts", FLEET)["groups"]
    seen = 0
    for expr in exprs(rendered):
        for name, matchers in selectors(expr):
            if name.startswith("quotameter_"):
                assert matchers.get("job") == "quotameter", (name, expr)
                seen += 1
            else:
                # Recorded thresholds and overrides carry no job: nothing scrapes them.
                assert name.startswith("quotameter:"), name
                assert "job" not in matchers, name
    assert seen > 30


def test_a_configured_fleet_fires_for_its_job_only_and_at_its_threshold(
    tmp_path: Path,
) -> None:
    write_rules(tmp_path / "alerts.yaml", mixin("prometheusAlerts", FLEET))
    quota = 'namespace="dev",team="agents",quota="dev-quota",resource="pods"'
    series = [
        {"series": f"quotameter_quota_{name}{{{job},{quota}}}", "values": f"{value}x30"}
        for job in (JOB, 'job="elsewhere"')
        for name, value in (("hard", 20), ("used", 12), ("saturation_ratio", 0.6))
    ]
    expected = {
        "job": "quotameter", "namespace": "dev", "team": "agents", "quota": "dev-quota",
        "resource": "pods", "severity": "warning",
    }  # fmt: skip
    described = {
        "summary": "Quota dev/dev-quota is 60% full on pods.",
        "description": "ResourceQuota dev-quota in namespace dev (team agents) has used 60% of "
        "its pods limit for 15 minutes: 12 of 20. This alert fires at 50%. Once it is full, "
        "Kubernetes refuses new pods or objects that need pods in this namespace.",
        "runbook_url": "docs/runbooks/alerts.md#quotameterquotaalmostfull",
    }
    suite = {
        "rule_files": ["alerts.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {
                        "eval_time": "20m",
                        "alertname": "QuotameterQuotaAlmostFull",
                        "exp_alerts": [{"exp_labels": expected, "exp_annotations": described}],
                    },
                    {"eval_time": "20m", "alertname": "QuotameterQuotaExhausted", "exp_alerts": []},
                ],
            }
        ],
    }
    assert "SUCCESS" in promtool_test(tmp_path, suite)


def test_the_cluster_label_names_related_series_in_descriptions() -> None:
    rules = [r for g in mixin("prometheusAlerts", FLEET)["groups"] for r in g["rules"]]
    descriptions = " ".join(r["annotations"]["description"] for r in rules if "alert" in r)
    assert "k8s_cluster=%q" in descriptions
    assert "$labels.k8s_cluster" in descriptions
    assert not re.search(r"(?<![\w$])cluster=|\$labels\.cluster\b", descriptions)


def test_the_dashboards_take_the_job_selector_and_cluster_label() -> None:
    boards = {
        name.removesuffix(".json"): board
        for name, board in mixin("grafanaDashboards", FLEET).items()
    }
    checked = 0
    queries = targets(boards)
    for target in queries:
        expr = interpolate(target.expr, {**textbox_defaults(boards[target.board]), **ALL})
        assert not re.search(r"(?<![\w$])cluster\b", expr), target.name
        for name, matchers in selectors(expr):
            assert matchers.get("job") == "quotameter", (target.name, name)
            assert matchers.get("k8s_cluster") == ".*", (target.name, name)
            checked += 1
    assert checked >= len(queries) > 30
    for board in boards.values():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        query = variables["cluster"]["query"]
        assert query == f"label_values(quotameter_build_info{{{JOB}}}, k8s_cluster)"
        for v in ("team", "namespace"):
            assert f'{JOB}, k8s_cluster=~"$cluster"' in variables[v]["query"]


def test_table_columns_follow_the_cluster_label() -> None:
    text = json.dumps(mixin("grafanaDashboards", FLEET))
    assert '"k8s_cluster": 0' in text
    assert '"cluster": 0' not in text


@pytest.mark.parametrize("alert", ["QuotameterQuotaAlmostFull", "QuotameterLedgerStale"])
def test_a_threshold_default_is_written_as_a_person_would(alert: str) -> None:
    config = f"{{ thresholds+: {{ {alert}: 0.35 }} }}"
    (record,) = [
        r
        for g in mixin("prometheusAlerts", config)["groups"]
        for r in g["rules"]
        if r.get("record") == "quotameter:alert_threshold" and r["labels"]["alert"] == alert
    ]
    assert re.search(r"or vector\(0\.35\)\)?$", record["expr"]), record["expr"]


def test_runbook_urls_follow_the_pattern() -> None:
    config = "{ runbookURLPattern: 'https://runbooks.example.com/quotameter/%s' }"
    urls = {
        r["alert"]: r["annotations"]["runbook_url"]
        for g in mixin("prometheusAlerts", config)["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert urls["QuotameterAbsent"] == "https://runbooks.example.com/quotameter/quotameterabsent"
    assert len(urls) == 11
