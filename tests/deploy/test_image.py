"""The container image: a pinned multi-stage build whose final stage runs `quotameter run`
as a numeric non-root user, and whose build steps produce a complete wheel without the
simulated cluster (quotasim), so that `quotameter demo` there says it is missing."""

from __future__ import annotations

import json
import re
import shutil
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, run, tool

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PINNED = re.compile(r"^python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}$")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage."""
    result: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def test_two_stages_from_one_pinned_slim_base() -> None:
    bases = [args.split()[0] for stage in stages() for op, args in stage if op == "FROM"]
    assert len(bases) == 2
    assert len(set(bases)) == 1
    assert PINNED.match(bases[0]), bases[0]


def test_the_final_stage_runs_quotameter_as_a_numeric_user() -> None:
    final = stages()[-1]
    users = [args for op, args in final if op == "USER"]
    assert users == ["10001:10001"]
    (entrypoint,) = [args for op, args in final if op == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["quotameter", "run"]
    assert not [args for op, args in final if op == "CMD"]


def test_the_final_stage_builds_nothing() -> None:
    final = " ".join(args for op, args in stages()[-1] if op == "RUN")
    for build_tool in ("apt-get", "gcc", "build-essential", "pip install", "pip wheel"):
        assert build_tool not in final
    copies = [args for op, args in stages()[-1] if op == "COPY"]
    assert copies == ["--from=builder /opt/quotameter /opt/quotameter"]


def test_the_build_context_holds_what_the_build_copies() -> None:
    """.dockerignore lets in exactly what the builder stage copies."""
    patterns = [
        p for p in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if p and p[0] != "#"
    ]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/")
        for op, args in stages()[0]
        if op == "COPY"
        for source in args.split()[:-1]
    }
    assert copied == allowed


def test_hadolint_finds_nothing() -> None:
    result = run([tool("hadolint"), "--failure-threshold", "style", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel the builder stage builds, from a copy of the build context (as Docker
    sends it: only what .dockerignore lets in), with the same pip command."""
    context = tmp_path_factory.mktemp("context")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(
        ROOT / "exporter",
        context / "exporter",
        ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"),
    )
    out = tmp_path_factory.mktemp("wheels")
    result = run(
        [
            tool("python"),
            "-m",
            "pip",
            "wheel",
            "--no-cache-dir",
            "--no-deps",
            "--wheel-dir",
            str(out),
            ".",
        ],
        cwd=context,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("quotameter-*.whl")
    return built


def test_the_wheel_has_the_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [
            n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points).decode()
    assert re.search(r"^quotameter = exporter\.cli:main$", text, re.MULTILINE)


def test_the_wheel_has_every_data_file_of_the_package(wheel: Path) -> None:
    """Scenarios, the example pricing file and any other non-Python file the daemon reads
    at run time must be package data, or the image lacks them."""
    data = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "exporter").rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc", ".pyo"} and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        missing = data - set(archive.namelist())
    assert not missing, (
        f"add to [tool.setuptools.package-data] in pyproject.toml: {sorted(missing)}"
    )


def test_the_image_leaves_the_simulator_out(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert [n for n in names if n.startswith("exporter/cli/")]
    assert not [n for n in names if n.startswith("quotasim/")]


@pytest.mark.parametrize("command", ["demo", "sim"])
def test_demo_from_the_image_wheel_exits_2_in_one_line(
    wheel: Path, tmp_path: Path, command: str
) -> None:
    """The wheel's code with the venv's dependencies but not its editable install (-S skips
    the .pth files that put the source tree, and with it quotasim, on the path)."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = (
        f"import sys; sys.path[:0] = [{str(site)!r}]; "
        f"sys.path.append({sysconfig.get_paths()['purelib']!r}); "
        f"from exporter.cli import main; raise SystemExit(main([{command!r}]))"
    )
    result = run([tool("python"), "-S", "-P", "-c", code], cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"quotameter: `{command}` needs the simulated cluster (quotasim), "
        "which this installation does not include\n"
    )
