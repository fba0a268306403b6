"""The pricing file: defaults, the shipped example, node overrides, and errors that
name the field and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.cost.pricefile import DEFAULT_STORAGE_GIB_HOUR
from exporter.cost.pricing import (
    DEFAULT_PRICING,
    example_pricing_text,
    load_pricing,
    parse_pricing,
)
from exporter.errors import ConfigError
from exporter.model.records import NamespaceRecord
from exporter.model.teams import namespace_team

SPOT = (("karpenter.sh/capacity-type", "spot"), ("node.kubernetes.io/instance-type", "m6i.xlarge"))
GPU = (("node.kubernetes.io/instance-type", "g5.2xlarge"),)


def test_built_in_defaults_without_a_file() -> None:
    pricing = load_pricing(None)
    assert pricing is DEFAULT_PRICING
    assert pricing.currency == "USD"
    assert (pricing.base.cpu_core_hour, pricing.base.memory_gib_hour) == (0.031611, 0.004237)
    assert dict(pricing.base.gpu_hour) == {"nvidia.com/gpu": 2.5, "amd.com/gpu": 2.5}
    assert pricing.storage_price("anything") == pytest.approx(0.10 / 720)
    assert pricing.config.idle == "separate"
    assert pricing.budgets() == {}


def test_the_shipped_example_loads_with_its_documented_values(tmp_path: Path) -> None:
    path = tmp_path / "pricing.yaml"
    path.write_text(example_pricing_text())
    pricing = load_pricing(path)
    assert pricing.node_prices(SPOT).cpu_core_hour == 0.0095
    gpu = pricing.node_prices(GPU)
    assert (gpu.cpu_core_hour, gpu.memory_gib_hour) == (0.05, 0.006)
    assert dict(gpu.gpu_hour) == {"nvidia.com/gpu": 1.006, "amd.com/gpu": 2.5}
    assert pricing.node_prices((("kubernetes.io/hostname", "n1"),)) is pricing.base
    assert pricing.storage_price("premium-rwo") == 0.000236
    assert pricing.storage_price("") == 0.0001389
    assert pricing.config.shared.namespaces == ("observability", "kube-system")
    assert pricing.budgets() == {"agents": 300.0, "agents-prod": 500.0, "ml": 2500.0}
    rules = pricing.team_rules()
    assert namespace_team("ml-training", None, rules) == "ml"
    assert namespace_team("shop-staging", None, rules) == "shop"
    annotated = NamespaceRecord("x", (), (("quotameter.io/team", "blue"),), None)
    assert namespace_team("x", annotated, rules) == "blue"


def test_the_first_matching_override_wins_and_fills_from_the_base() -> None:
    pricing = parse_pricing("""
cpu_core_hour: 0.04
memory_gib_hour: 0.005
node_overrides:
  - match: {karpenter.sh/capacity-type: spot}
    cpu_core_hour: 0.01
  - match: {node.kubernetes.io/instance-type: m6i.xlarge}
    cpu_core_hour: 0.02
    memory_gib_hour: 0.003
""")
    spot = pricing.node_prices(SPOT)
    assert (spot.cpu_core_hour, spot.memory_gib_hour) == (0.01, 0.005)
    on_demand = pricing.node_prices((("node.kubernetes.io/instance-type", "m6i.xlarge"),))
    assert (on_demand.cpu_core_hour, on_demand.memory_gib_hour) == (0.02, 0.003)
    assert pricing.node_prices(None) is pricing.base


def test_yaml_booleans_in_match_become_label_text() -> None:
    pricing = parse_pricing("node_overrides: [{match: {gpu: true}, cpu_core_hour: 1}]")
    assert pricing.node_prices((("gpu", "true"),)).cpu_core_hour == 1.0


def test_storage_without_a_star_keeps_the_default_for_other_classes() -> None:
    pricing = parse_pricing("storage_gib_hour: {fast: 0.0003}\n")
    assert pricing.storage_price("fast") == 0.0003
    assert pricing.storage_price("slow") == DEFAULT_STORAGE_GIB_HOUR


def test_an_empty_file_is_all_defaults() -> None:
    assert parse_pricing("").config == DEFAULT_PRICING.config


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("cpu_core_hour: -1", "pricing.cpu_core_hour", -1),
        ("cpu_core_hour: cheap", "pricing.cpu_core_hour", "cheap"),
        ("memory_gib_hour: .nan", "pricing.memory_gib_hour", None),
        ("gpu_hour: {nvidia.com/gpu: -2}", "pricing.gpu_hour.nvidia.com/gpu", -2),
        ("node_overrides: [{match: {a: b}, cpu_core_hour: -0.5}]",
         "pricing.node_overrides.0.cpu_core_hour", -0.5),
        ("node_overrides: [{match: {}}]", "pricing.node_overrides.0.match", {}),
        ("idle: sometimes", "pricing.idle", "sometimes"),
        ("shared: {split: random}", "pricing.shared.split", "random"),
        ("teams: {rules: [{match: '(', team: x}]}", "pricing.teams.rules.0.match", "("),
        ("budgets: {ml: -5}", "pricing.budgets.ml", -5),
        ("currency: ''", "pricing.currency", ""),
        ("cpu_core_hours: 0.03", "pricing.cpu_core_hours", 0.03),
    ],
)  # fmt: skip
def test_errors_name_the_field_and_the_value(text: str, field: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_pricing(text, source="p.yaml")
    assert caught.value.field == field
    assert field in str(caught.value)
    assert "p.yaml" in str(caught.value)
    if value is not None:
        assert caught.value.value == value


def test_unreadable_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read pricing file") as caught:
        load_pricing(tmp_path / "missing.yaml")
    assert caught.value.field == "pricing_file"
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_pricing("cpu_core_hour: [")
    with pytest.raises(ConfigError, match="must hold a mapping, not list"):
        parse_pricing("- 1\n- 2")
