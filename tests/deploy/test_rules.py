"""The alert rules: promtool's checks and unit tests, their agreement with the
PrometheusRule, and the contract every alert keeps (SPEC.md "Alerts")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import (
    DEPLOY,
    ROOT,
    RULES,
    RUNBOOKS,
    THRESHOLDS_EXAMPLE,
    Manifest,
    load_yaml,
    only,
    run,
    tool,
)

HERE = Path(__file__).resolve().parent
UNIT_TESTS = (HERE / "rules_test.yaml", HERE / "rules_overrides_test.yaml")

# SPEC.md "Alerts", in its order; QuotameterAbsent is ours (alerts must not go quiet
# when the exporter does).
SPEC_ALERTS = (
    "QuotameterQuotaAlmostFull",
    "QuotameterQuotaExhausted",
    "QuotameterQuotaExhaustionForecast",
    "QuotameterPodsRejectedByQuota",
    "QuotameterContainersWithoutLimits",
    "QuotameterQuotaOvercommit",
    "QuotameterBudgetForecastExceeded",
    "QuotameterBudgetExceeded",
    "QuotameterInformerNotSynced",
    "QuotameterLedgerStale",
)
ALERTS = (*SPEC_ALERTS, "QuotameterAbsent")
# Alerts with nothing to tune: a binary condition, or "no data at all".
WITHOUT_THRESHOLD = {"QuotameterInformerNotSynced", "QuotameterAbsent"}
SEVERITIES = {"critical", "warning", "info"}
_QUOTA = {"namespace", "team", "quota", "resource"}
# The labels each description puts into words (with the value, where there is one).
DESCRIBED_BY = {
    "QuotameterQuotaAlmostFull": _QUOTA,
    "QuotameterQuotaExhausted": _QUOTA,
    "QuotameterQuotaExhaustionForecast": _QUOTA,
    "QuotameterPodsRejectedByQuota": _QUOTA,
    "QuotameterContainersWithoutLimits": {"namespace", "team", "resource"},
    "QuotameterQuotaOvercommit": {"resource"},
    "QuotameterBudgetForecastExceeded": {"team"},
    "QuotameterBudgetExceeded": {"team"},
    "QuotameterInformerNotSynced": {"kind"},
    "QuotameterLedgerStale": {"instance"},
    "QuotameterAbsent": set(),
}


def rules_of(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rule of a list of rule groups, in order."""
    return [rule for group in groups for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    """The alerting rules of the rule file, by name."""
    return {r["alert"]: r for r in rules_of(load_yaml(RULES)["groups"]) if "alert" in r}


def test_promtool_accepts_the_rule_files() -> None:
    result = run([tool("promtool"), "check", "rules", str(RULES), str(THRESHOLDS_EXAMPLE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 20 rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = run([tool("promtool"), "test", "rules", *map(str, UNIT_TESTS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(UNIT_TESTS)


def test_the_prometheusrule_passes_the_same_unit_tests(
    render: Callable[[str], list[Manifest]], tmp_path: Path
) -> None:
    """What prometheus-operator loads behaves as the rule file does, not just looks alike."""
    rule = only(render("deploy"), "PrometheusRule", "quotameter")
    (tmp_path / "operator.rules.yaml").write_text(
        yaml.safe_dump({"groups": rule["spec"]["groups"]})
    )
    suite = load_yaml(UNIT_TESTS[0])
    suite["rule_files"] = ["operator.rules.yaml"]
    (tmp_path / "rules_test.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = run([tool("promtool"), "test", "rules", "rules_test.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_prometheusrules_are_generated_from_the_rule_files() -> None:
    result = run([tool("python"), str(DEPLOY / "generate.py"), "--check"])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("source", "kustomization", "name"),
    [
        (RULES, "deploy", "quotameter"),
        (THRESHOLDS_EXAMPLE, "deploy/overlays/example", "quotameter-thresholds"),
    ],
)
def test_the_rendered_prometheusrule_holds_the_rule_file(
    render: Callable[[str], list[Manifest]], source: Path, kustomization: str, name: str
) -> None:
    rule = only(render(kustomization), "PrometheusRule", name)
    assert rule["spec"]["groups"] == load_yaml(source)["groups"]


def test_every_alert_of_the_spec_is_defined_once() -> None:
    names = [r["alert"] for r in rules_of(load_yaml(RULES)["groups"]) if "alert" in r]
    assert sorted(names) == sorted(ALERTS)


@pytest.mark.parametrize("name", ALERTS)
def test_each_alert_says_what_where_and_how_bad(name: str) -> None:
    rule = alerts()[name]
    assert rule["labels"]["severity"] in SEVERITIES
    annotations = rule["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    assert annotations["runbook_url"] == f"docs/runbooks/alerts.md#{name.lower()}"
    description = annotations["description"]
    assert set(re.findall(r"\$labels\.(\w+)", description)) >= DESCRIBED_BY[name]
    if name not in WITHOUT_THRESHOLD:
        assert "$value" in description


@pytest.mark.parametrize("name", sorted(set(ALERTS) - WITHOUT_THRESHOLD))
def test_each_threshold_is_a_series_with_a_default(name: str) -> None:
    """Thresholds are read from quotameter:alert_threshold, recorded from the override
    series with a built-in default, so they change without editing the rules."""
    assert f'quotameter:alert_threshold{{alert="{name}"}}' in alerts()[name]["expr"]
    records = [
        r
        for r in rules_of(load_yaml(RULES)["groups"])
        if r.get("record") == "quotameter:alert_threshold" and r["labels"]["alert"] == name
    ]
    assert len(records) == 1
    expr = records[0]["expr"]
    assert re.search(r"or vector\([0-9.]+\)\)?$", expr.strip())
    # Overrides of other alerts never leak in.
    assert set(re.findall(r'alert="(\w+)"', expr)) == {name}


def test_recorded_thresholds_are_in_the_same_group_before_their_alerts() -> None:
    """Rules of a group run in order, so an alert sees its threshold of the same evaluation."""
    for group in load_yaml(RULES)["groups"]:
        seen: set[str] = set()
        for rule in group["rules"]:
            if rule.get("record") == "quotameter:alert_threshold":
                seen.add(rule["labels"]["alert"])
            elif "alert" in rule and rule["alert"] not in WITHOUT_THRESHOLD:
                assert rule["alert"] in seen, f"{rule['alert']} before its threshold"


def test_unit_tests_see_every_alert_fire_and_stay_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for path in UNIT_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    assert fired >= set(ALERTS)
    assert silent >= set(ALERTS)


def test_no_alert_divides_by_a_hard_limit() -> None:
    """hard = 0 must never fire an alert: nothing divides by quotameter_quota_hard."""
    for name, rule in alerts().items():
        assert not re.search(r"/\s*\(?\s*quotameter_quota_hard", rule["expr"]), name


@pytest.mark.parametrize("name", ALERTS)
def test_each_alert_has_a_runbook_section(name: str) -> None:
    text = RUNBOOKS.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    section = next((s for s in sections if s.split("\n", 1)[0].strip() == name), None)
    assert section is not None, f"docs/runbooks/alerts.md has no section {name}"
    for part in ("**What it means.**", "**How to check.**", "**What to do.**"):
        assert part in section, f"{name}: {part} missing"


def test_the_runbooks_have_no_section_without_an_alert() -> None:
    headings = re.findall(r"^## (\S+)", RUNBOOKS.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(headings) == sorted(ALERTS)


def test_the_readme_of_the_rules_points_at_files_that_exist() -> None:
    text = RULES.read_text(encoding="utf-8")
    for path in re.findall(r"((?:deploy|docs)/[\w./-]+\.(?:ya?ml|md|py))", text):
        assert (ROOT / path).is_file(), path
