"""Fixtures of the deployment tests: paths, external tools and the rendered kustomizations."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "rules" / "quotameter.rules.yaml"
THRESHOLDS_EXAMPLE = DEPLOY / "rules" / "thresholds.example.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks" / "alerts.md"
# Tools installed into the project venv (dev extras) or beside it (make's checkov venv).
VENV_BIN = ROOT / ".venv" / "bin"
TOOLS_BIN = ROOT / ".venv" / "tools" / "bin"

# What `kubectl apply -k` is pointed at: the base (through deploy/) and the example overlay.
KUSTOMIZATIONS = ("deploy", "deploy/overlays/example")

Manifest = dict[str, Any]


def tool(name: str) -> str:
    """Path of a command-line tool; a missing tool fails the test (never a silent skip),
    saying what to install."""
    for candidate in (VENV_BIN / name, TOOLS_BIN / name):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (`make test` installs it; see Makefile and .ci/run)"
    pytest.fail(message)


def run(
    args: list[str], *, timeout: float = 180, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool, capturing its output as text; the caller judges the exit code."""
    environment = {**os.environ, **env} if env else None
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=environment, check=False
    )


@pytest.fixture(scope="session")
def render() -> Callable[[str], list[Manifest]]:
    """`kubectl kustomize` of a directory under the repository, parsed (cached per run)."""
    rendered: dict[str, list[Manifest]] = {}

    def _render(path: str) -> list[Manifest]:
        if path not in rendered:
            result = run([tool("kubectl"), "kustomize", str(ROOT / path)], timeout=120)
            assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
            rendered[path] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return rendered[path]

    return _render


@pytest.fixture(params=KUSTOMIZATIONS)
def manifests(
    request: pytest.FixtureRequest, render: Callable[[str], list[Manifest]]
) -> list[Manifest]:
    """Every object of one kustomization, as `kubectl kustomize` renders it."""
    return render(request.param)


def only(objects: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    """The one object of ``kind`` (and ``name``); fails if there is not exactly one."""
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def load_yaml(path: Path) -> Any:
    """A YAML file, parsed."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))
