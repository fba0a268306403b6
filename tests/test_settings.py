"""Settings: precedence of flags, environment and file; errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.errors import ConfigError
from exporter.settings import effective_config, load_settings


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.port, settings.page_size, settings.log_format) == (9184, 500, "auto")


def test_flag_beats_env_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "quotameter.yaml"
    config.write_text("port: 1111\npage-size: 50\nlog_level: warning\n")
    monkeypatch.setenv("QUOTAMETER_PORT", "2222")
    monkeypatch.setenv("QUOTAMETER_PAGE_SIZE", "60")
    settings = load_settings(flags={"page_size": "70"}, config=config)
    assert settings.port == 2222
    assert settings.page_size == 70
    assert settings.log_level == "warning"


def test_bad_value_names_field_and_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTAMETER_PORT", "http")
    with pytest.raises(ConfigError, match="invalid setting port='http'") as info:
        load_settings()
    assert (info.value.field, info.value.value) == ("port", "http")


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("prot: 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'prot'"):
        load_settings(config=config)


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_settings(config=config)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file /nonexistent\.yaml"):
        load_settings(config=Path("/nonexistent.yaml"))


def test_token_is_masked_and_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTAMETER_API_TOKEN", "s3cret")
    assert effective_config(load_settings())["api_token"] == "**********"
    assert "s3cret" not in repr(load_settings())
