"""Settings: the only reader of the environment.

Sources, strongest first: command-line flags, `QUOTAMETER_*` environment
variables, one YAML file (`--config`), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from exporter.errors import ConfigError
from exporter.yamlfile import read_yaml_file

ENV_PREFIX = "QUOTAMETER_"
MiB = 1024 * 1024
GiB = 1024 * MiB


def _seconds(default: float, low: float, high: float, description: str) -> Any:
    """A duration setting: finite, within [low, high] seconds."""
    return Field(default, ge=low, le=high, allow_inf_nan=False, description=description)


class Settings(BaseSettings):
    """Every knob of the daemon; README's configuration table is generated from these fields."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    host: str = Field("0.0.0.0", description="Address the HTTP server binds to.")
    port: int = Field(9184, ge=0, le=65535, description="HTTP port for /metrics and the API.")
    kubeconfig: Path | None = Field(
        None, description="Kubeconfig file; unset means $KUBECONFIG, ~/.kube/config, in-cluster."
    )
    context: str | None = Field(None, description="Kubeconfig context to use.")
    cluster_name: str = Field(
        "", description="Value of the `cluster` column in chargeback CSVs (empty: none)."
    )
    pricing_file: Path | None = Field(
        None, description="Pricing YAML (see the README); unset uses the built-in prices."
    )
    ledger_path: Path = Field(
        Path("data/ledger.sqlite"), description="SQLite cost ledger; created when missing."
    )
    ledger_flush_seconds: float = _seconds(60.0, 1, 60, "Seconds between ledger flushes (1 to 60).")
    cost_refresh_seconds: float = _seconds(
        15.0, 1, 300,
        "Longest time between two computations of the cost metrics and the summary's "
        "costs (1 to 300 s); after a change they are recomputed within a second or two. "
        "Scrapes read the last result.",
    )  # fmt: skip
    metrics_poll_seconds: float = _seconds(
        30.0, 1, 3600, "How often to poll metrics.k8s.io for pod usage (1 to 3600 s)."
    )
    page_size: int = Field(500, ge=1, le=10000, description="LIST page size (limit).")
    watch_timeout_seconds: int = Field(
        300, ge=1, le=3600,
        description="Server-side timeout asked for each WATCH request (1 to 3600 s).",
    )  # fmt: skip
    inactivity_timeout_seconds: float = _seconds(
        70.0, 1, 3600, "Reconnect a watch that sent no bytes for this long (1 to 3600 s)."
    )
    api_connect_timeout_seconds: float = _seconds(
        10.0, 0.1, 300, "Give up connecting to the API server after this long (0.1 to 300 s)."
    )
    api_first_byte_timeout_seconds: float = _seconds(
        10.0, 0.1, 300,
        "Give up on a request whose response headers take longer than this after "
        "connecting (0.1 to 300 s).",
    )  # fmt: skip
    max_watch_line_bytes: int = Field(
        64 * MiB, ge=MiB, le=GiB,
        description="Largest watch event accepted (1 MiB to 1 GiB); a longer line breaks "
        "the watch, which is counted and retried.",
    )  # fmt: skip
    max_list_body_bytes: int = Field(
        512 * MiB, ge=MiB, le=8 * GiB,
        description="Largest LIST page (or other response) accepted (1 MiB to 8 GiB); a "
        "larger one fails the LIST, which is counted and retried.",
    )  # fmt: skip
    api_token: SecretStr | None = Field(
        None, description="Bearer token required on /chargeback.csv and /api/* when set."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest log level written."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="json, console, or auto (console on a TTY, else json)."
    )

    @field_validator("api_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty token would turn authentication off while looking set.
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty (unset it to serve the API without a token)")
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags arrive as init kwargs; the YAML file is passed the same way but
        # weaker, so it is merged in load_settings below, not here.
        return (init_settings, env_settings)


def read_config_file(path: Path) -> dict[str, Any]:
    """Read the YAML settings file into a dict, raising ConfigError on any problem."""
    data = read_yaml_file(path, what="config file", field="config")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings", field="config")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def load_settings(*, flags: dict[str, Any] | None = None, config: Path | None = None) -> Settings:
    """Build Settings from flags, environment and YAML file; ConfigError names the field."""
    from_file = read_config_file(config) if config else {}
    from_flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env_fields = _fields_set_by_env()
    # The file only fills what neither the environment nor a flag already sets.
    merged = {k: v for k, v in from_file.items() if k not in env_fields} | from_flags
    try:
        return Settings(**merged)
    except ValidationError as e:
        raise _config_error(e) from e


def _fields_set_by_env() -> set[str]:
    return {name for name in Settings.model_fields if f"{ENV_PREFIX}{name.upper()}" in os.environ}


def _config_error(error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "settings"
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        return ConfigError(f"unknown setting {field!r}", field=field, value=value)
    shown = "<hidden>" if field == "api_token" else _shown(value)
    message = f"invalid setting {field}={shown}: {first['msg']}"
    return ConfigError(message, field=field, value=value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def effective_config(settings: Settings) -> dict[str, Any]:
    """The settings as plain data for `check-config`, secrets masked."""
    data = settings.model_dump(mode="json")
    if settings.api_token is not None:
        data["api_token"] = "**********"
    return data
