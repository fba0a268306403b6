"""quotasim ships its scenarios as package data, so `quotameter demo` works from a wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

import quotasim

PACKAGE = Path(quotasim.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_every_scenario_file_is_package_data() -> None:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "quotasim*" in config["packages"]["find"]["include"]
    patterns = config["package-data"]["quotasim"]
    shipped = {p for pattern in patterns for p in PACKAGE.glob(pattern)}
    data = {
        p
        for p in (PACKAGE / "scenarios").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert len(data) == 11
    assert data == shipped
