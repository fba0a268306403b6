"""The pricing file's schema: what a FinOps person writes, validated by pydantic.

Every price is in the file's ``currency`` per unit-hour. Without a file, the built-in
defaults below apply; they are on-demand list prices, so a cluster without a pricing
file still shows plausible relative costs:

- ``cpu_core_hour`` 0.031611 and ``memory_gib_hour`` 0.004237: the per-vCPU and
  per-GiB hourly prices of a general-purpose on-demand VM (GCP N1, us-central1; the
  same figures OpenCost uses as its defaults).
- ``gpu_hour`` 2.5 for ``nvidia.com/gpu`` and ``amd.com/gpu``: about one data-centre GPU.
- ``storage_gib_hour`` 0.0001389 for every class (``"*"``): 0.10 per GiB-month.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from exporter.model.teams import template_problem

DEFAULT_CPU_CORE_HOUR = 0.031611
DEFAULT_MEMORY_GIB_HOUR = 0.004237
DEFAULT_GPU_HOUR = 2.5
DEFAULT_GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
DEFAULT_STORAGE_GIB_HOUR = 0.10 / 720  # 0.0001389: 0.10 per GiB-month of 30 days
ANY_CLASS = "*"
DEFAULT_PROVIDER = "quotameter"

MAX_PRICE = 1e9  # per unit-hour: past any currency's price of a GPU
MAX_BUDGET = 1e15  # per month, as for the budget annotation (exporter.model.compact)


def _number(value: Any) -> Any:
    # Lax pydantic reads `true` as 1.0 and "0.5" as 0.5: a price must be written as one.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    return value


Price = Annotated[float, BeforeValidator(_number), Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
Budget = Annotated[float, BeforeValidator(_number), Field(ge=0, le=MAX_BUDGET, allow_inf_nan=False)]
IdleMode = Literal["separate", "share", "ignore"]
SplitMode = Literal["weighted", "even"]


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt price must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _label_text(value: Any) -> Any:
    # YAML reads `spot: true` as a bool; Kubernetes label values are text ("true").
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


class NodeOverride(_Strict):
    """Prices for the nodes whose labels include every pair of ``match``."""

    match: dict[str, str] = Field(min_length=1)
    cpu_core_hour: Price | None = None
    memory_gib_hour: Price | None = None
    gpu_hour: dict[str, Price] | None = None

    @field_validator("match", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): _label_text(v) for k, v in value.items()}
        return value


class SharedCost(_Strict):
    """Namespaces whose cost is spread over the other teams instead of billed to one."""

    namespaces: tuple[str, ...] = ()
    split: SplitMode = "weighted"


class TeamRule(_Strict):
    """A regex on the namespace name and the team it names (may use the regex's groups)."""

    match: str
    team: str = Field(min_length=1)

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"not a valid regular expression: {e}") from e
        return value

    @field_validator("team")
    @classmethod
    def _groups_exist(cls, value: str, info: Any) -> str:
        # Checked at start, not when the first unlabelled namespace shows up.
        pattern = info.data.get("match")
        if pattern is not None:
            problem = template_problem(re.compile(pattern), value)
            if problem:
                raise ValueError(problem)
        return value


class TeamsConfig(_Strict):
    """How a namespace's team is found (see exporter.model.teams)."""

    label_keys: tuple[str, ...] = ("team",)
    annotation_keys: tuple[str, ...] = ()
    rules: tuple[TeamRule, ...] = ()


def _default_gpu_prices() -> dict[str, float]:
    return dict.fromkeys(DEFAULT_GPU_RESOURCES, DEFAULT_GPU_HOUR)


class PricingFile(_Strict):
    """The whole pricing file; every field has a default, so ``{}`` is valid."""

    currency: str = Field("USD", min_length=1, max_length=16, pattern=r"^\S+$")
    # Who the FOCUS export names as ProviderName, PublisherName and InvoiceIssuerName.
    provider: str = Field(DEFAULT_PROVIDER, min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
    cpu_core_hour: Price = DEFAULT_CPU_CORE_HOUR
    memory_gib_hour: Price = DEFAULT_MEMORY_GIB_HOUR
    gpu_hour: dict[str, Price] = Field(default_factory=_default_gpu_prices)
    storage_gib_hour: dict[str, Price] = Field(
        default_factory=lambda: {ANY_CLASS: DEFAULT_STORAGE_GIB_HOUR}
    )
    node_overrides: tuple[NodeOverride, ...] = ()
    idle: IdleMode = "separate"
    shared: SharedCost = SharedCost()
    teams: TeamsConfig = TeamsConfig()
    budgets: dict[str, Budget] = Field(default_factory=dict)

    @field_validator("storage_gib_hour")
    @classmethod
    def _any_class(cls, value: dict[str, float]) -> dict[str, float]:
        # Classes the file does not list still cost something: the built-in default.
        return {ANY_CLASS: DEFAULT_STORAGE_GIB_HOUR, **value}
