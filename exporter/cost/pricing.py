"""Prices in effect: the pricing file loaded, validated and resolved per node.

``load_pricing(path)`` reads the YAML file (or takes the built-in defaults when there is
none) and raises ``ConfigError`` whose ``field`` names the bad entry, e.g.
``pricing.node_overrides.0.cpu_core_hour``; the CLI turns that into exit code 2.
``Pricing.node_prices(labels)`` gives the prices of one node: the first node override
whose ``match`` labels the node carries, laid over the base prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from exporter.cost.pricefile import ANY_CLASS, NodeOverride, PricingFile
from exporter.errors import ConfigError
from exporter.model.teams import TeamRules
from exporter.yamlfile import one_line, parse_yaml, read_yaml_file

EXAMPLE_FILE = "example-pricing.yaml"
Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class NodePrices:
    """What one node charges per unit-hour; ``gpu_hour`` also says which resources are GPUs."""

    cpu_core_hour: float
    memory_gib_hour: float
    gpu_hour: MappingProxyType[str, float]


class Pricing:
    """The resolved pricing file: per-node prices, storage prices, teams and budgets."""

    def __init__(self, config: PricingFile) -> None:
        self.config = config
        self.base = NodePrices(
            config.cpu_core_hour, config.memory_gib_hour, MappingProxyType(dict(config.gpu_hour))
        )
        self._by_labels: dict[Labels, NodePrices] = {}  # nodes of one pool share their labels

    @property
    def currency(self) -> str:
        """The currency every price and cost is in."""
        return self.config.currency

    def node_prices(self, labels: Labels | None) -> NodePrices:
        """Prices of a node with these labels; None (an unknown node) gets the base prices."""
        if labels is None or not self.config.node_overrides:
            return self.base
        found = self._by_labels.get(labels)
        if found is None:
            found = self._resolve(dict(labels))
            if len(self._by_labels) > 10_000:  # label sets churn with node names; stay bounded
                self._by_labels.clear()
            self._by_labels[labels] = found
        return found

    def storage_price(self, storage_class: str) -> float:
        """Price per GiB-hour of a claim of ``storage_class`` ("" is the default class)."""
        prices = self.config.storage_gib_hour
        return prices.get(storage_class, prices[ANY_CLASS])

    def team_rules(self) -> TeamRules:
        """The ``teams`` section as the TeamRules ClusterState resolves teams with."""
        teams = self.config.teams
        return TeamRules.build(
            label_keys=teams.label_keys,
            annotation_keys=teams.annotation_keys,
            name_rules=[(rule.match, rule.team) for rule in teams.rules],
        )

    def budgets(self) -> dict[str, float]:
        """Monthly budget per team set in the file."""
        return dict(self.config.budgets)

    def _resolve(self, labels: dict[str, str]) -> NodePrices:
        for override in self.config.node_overrides:
            if all(labels.get(k) == v for k, v in override.match.items()):
                return _overlay(self.base, override)
        return self.base


def _overlay(base: NodePrices, override: NodeOverride) -> NodePrices:
    gpu = dict(base.gpu_hour) | (override.gpu_hour or {})
    return NodePrices(
        base.cpu_core_hour if override.cpu_core_hour is None else override.cpu_core_hour,
        base.memory_gib_hour if override.memory_gib_hour is None else override.memory_gib_hour,
        MappingProxyType(gpu),
    )


DEFAULT_PRICING = Pricing(PricingFile())


def load_pricing(path: Path | None) -> Pricing:
    """The pricing of file ``path``, or the built-in defaults when ``path`` is None.
    ConfigError for a missing, oversized (over 1 MiB), non-UTF-8 or invalid file."""
    if path is None:
        return DEFAULT_PRICING
    data = read_yaml_file(Path(path), what="pricing file", field="pricing_file")
    return _validated(data, source=str(path))


def parse_pricing(text: str, *, source: str = "<pricing>") -> Pricing:
    """Parse and validate pricing YAML; ConfigError names the field and the bad value."""
    return _validated(
        parse_yaml(text, source=f"pricing file {source}", field="pricing_file"), source=source
    )


def _validated(data: Any, *, source: str) -> Pricing:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        message = f"pricing file {source} must hold a mapping, not {type(data).__name__}"
        raise ConfigError(message, field="pricing_file", value=source)
    try:
        return Pricing(PricingFile.model_validate(data))
    except ValidationError as e:
        raise _config_error(e, source) from e


def example_pricing_text() -> str:
    """The commented example pricing file shipped in the package."""
    return resources.files("exporter.cost").joinpath(EXAMPLE_FILE).read_text(encoding="utf-8")


def _config_error(error: ValidationError, source: str) -> ConfigError:
    problems = error.errors()
    first = problems[0]
    field = "pricing." + ".".join(str(part) for part in first["loc"])
    value = first.get("input")
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    if first["type"] == "extra_forbidden":
        message = f"pricing file {source}: unknown field {field!r}{more}"
    else:
        message = f"pricing file {source}: {field}={_shown(value)}: {one_line(first['msg'])}{more}"
    return ConfigError(message, field=field, value=value)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
