"""Settings: the only reader of the environment.

Sources, strongest first: command-line flags, `QUOTAMETER_*` environment
variables, one YAML file (`--config`), then the defaults below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from exporter.errors import ConfigError

ENV_PREFIX = "QUOTAMETER_"


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
    ledger_flush_seconds: float = Field(
        60.0, gt=0, le=60, description="Seconds between ledger flushes (at most 60)."
    )
    metrics_poll_seconds: float = Field(
        30.0, gt=0, description="How often to poll metrics.k8s.io for pod usage."
    )
    page_size: int = Field(500, ge=1, le=10000, description="LIST page size (limit).")
    watch_timeout_seconds: int = Field(
        300, ge=1, description="Server-side timeout asked for each WATCH request."
    )
    inactivity_timeout_seconds: float = Field(
        70.0, gt=0, description="Reconnect a watch that sent no bytes for this long."
    )
    api_token: SecretStr | None = Field(
        None, description="Bearer token required on /chargeback.csv and /api/* when set."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest log level written."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="json, console, or auto (console on a TTY, else json)."
    )

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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}", field="config") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {path} is not valid YAML: {e}", field="config") from e
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
    import os

    return {name for name in Settings.model_fields if f"{ENV_PREFIX}{name.upper()}" in os.environ}


def _config_error(error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "settings"
    value = first.get("input")
    if first["type"] == "extra_forbidden":
        return ConfigError(f"unknown setting {field!r}", field=field, value=value)
    shown = "<hidden>" if field == "api_token" else repr(value)
    message = f"invalid setting {field}={shown}: {first['msg']}"
    return ConfigError(message, field=field, value=value)


def effective_config(settings: Settings) -> dict[str, Any]:
    """The settings as plain data for `check-config`, secrets masked."""
    data = settings.model_dump(mode="json")
    if settings.api_token is not None:
        data["api_token"] = "**********"
    return data
