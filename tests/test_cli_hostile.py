"""Every bad input to the command line is one line naming the field or the file, and
exit 2 (issue 11, cases 2, 5, 6, 7, 8, 10, 11)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.cost.integrator import Batch, Integrator
from exporter.errors import LedgerInUse
from exporter.ledger.store import Ledger


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exporter.cli", *args],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def refused(out: subprocess.CompletedProcess, *expected: str, code: int = 2) -> str:
    """Assert exit ``code`` and one line on stderr holding every ``expected`` text."""
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02\xff\xfe binary", "is not UTF-8 text"),
        ("cpu_core_hour: 0.1\n" + "  " * 0 + "a: " + "[" * 400 + "]" * 400, "nested deeper"),
        ("cpu_core_hour: 0.1\ncpu_core_hour: 0.2\n", "duplicate key 'cpu_core_hour'"),
        ("cpu_core_hour: true\n", "pricing.cpu_core_hour=True"),
        ("memory_gib_hour: .inf\n", "pricing.memory_gib_hour=inf"),
        ("budgets: {ml: 1.0e+309}\n", "pricing.budgets.ml=inf"),
        ("gpu_hour: {nvidia.com/gpu: '2.5'}\n", "pricing.gpu_hour.nvidia.com/gpu='2.5'"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("teams:\n  rules:\n  - {match: '^team-(?P<name>.*)$', team: '\\g<nope>'}\n",
         "no group named 'nope'"),
    ],
    ids=["binary", "nested", "duplicate", "bool-price", "inf", "budget-1e309", "text-price",
         "alias", "team-group"],
)  # fmt: skip
def test_check_config_validates_the_pricing_file(
    tmp_path: Path, content: bytes | str, expected: str
) -> None:
    """Cases 5, 6, 10, 11: `check-config --pricing-file` validated nothing."""
    pricing = write(tmp_path / "pricing.yaml", content)
    refused(run("check-config", "--pricing-file", str(pricing)), expected)


def test_check_config_refuses_a_missing_or_oversized_pricing_file(tmp_path: Path) -> None:
    refused(run("check-config", "--pricing-file", str(tmp_path / "nope.yaml")), "cannot read")
    big = write(tmp_path / "big.yaml", "# padding\n" * 110_000)  # 1.1 MB
    started = time.monotonic()
    refused(run("check-config", "--pricing-file", str(big)), "larger than 1048576 bytes")
    assert time.monotonic() - started < 10


def test_check_config_accepts_the_shipped_example() -> None:
    from exporter.app import EXAMPLE_PRICING

    out = run("check-config", "--pricing-file", str(EXAMPLE_PRICING))
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"\xff\xfe\x00", "config file"), ("page_size: 1\npage_size: 2\n", "duplicate key"),
     ("[" * 5000, "nested deeper"), ("just a string\n", "must hold a mapping")],
)  # fmt: skip
def test_a_bad_config_file_is_one_line(tmp_path: Path, content: bytes | str, expected: str) -> None:
    config = write(tmp_path / "config.yaml", content)
    refused(run("check-config", "--config", str(config)), expected, str(config))


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [("--metrics-poll-seconds", "1e-300", "metrics_poll_seconds"),
     ("--metrics-poll-seconds", "inf", "metrics_poll_seconds"),
     ("--ledger-flush-seconds", "nan", "ledger_flush_seconds"),
     ("--ledger-flush-seconds", "0", "ledger_flush_seconds"),
     ("--inactivity-timeout-seconds", "1e9", "inactivity_timeout_seconds"),
     ("--max-watch-line-bytes", "10", "max_watch_line_bytes"),
     ("--max-list-body-bytes", "99999999999999", "max_list_body_bytes"),
     ("--api-first-byte-timeout-seconds", "0", "api_first_byte_timeout_seconds")],
)  # fmt: skip
def test_settings_outside_their_range_are_refused(flag: str, value: str, field: str) -> None:
    """Case 11: `--metrics-poll-seconds 1e-300` was a busy loop."""
    refused(run("check-config", flag, value), f"invalid setting {field}=")


def test_an_empty_api_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 7: QUOTAMETER_API_TOKEN="" turned authentication off silently."""
    env = {"PATH": "/usr/bin:/bin", "QUOTAMETER_API_TOKEN": ""}
    line = refused(run("check-config", env=env), "invalid setting api_token=<hidden>")
    assert "must not be empty" in line
    ok = run("check-config", env=env | {"QUOTAMETER_API_TOKEN": "t0ken"})
    assert ok.returncode == 0
    assert '"api_token": "**********"' in ok.stdout


def test_a_kubeconfig_that_is_a_yaml_string(tmp_path: Path) -> None:
    kubeconfig = write(tmp_path / "kubeconfig", '"just a string"\n')
    out = run("run", "--kubeconfig", str(kubeconfig), "--ledger-path", str(tmp_path / "l.sqlite"))
    refused(out, "cannot load kubeconfig configuration")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_host_or_port_that_cannot_be_bound(tmp_path: Path, busy_port: int) -> None:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": "http://127.0.0.1:1"}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "users": [{"name": "u", "user": {}}],
    }  # fmt: skip
    kubeconfig = write(tmp_path / "kubeconfig", json.dumps(config))
    base = ("run", "--kubeconfig", str(kubeconfig), "--log-format", "json")
    out = run(*base, "--host", "999.1.1.1", "--ledger-path", str(tmp_path / "a.sqlite"))
    assert refused_last(out, "cannot listen on 999.1.1.1:9184")
    out = run(*base, "--host", "127.0.0.1", "--port", str(busy_port),
              "--ledger-path", str(tmp_path / "b.sqlite"))  # fmt: skip
    assert refused_last(out, f"cannot listen on 127.0.0.1:{busy_port}", "address already in use")


def refused_last(out: subprocess.CompletedProcess, *expected: str) -> bool:
    """Exit 2; the last stderr line is the refusal (JSON log lines may precede it)."""
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("quotameter: "), last
    return all(text.lower() in last.lower() for text in expected)


def test_chargeback_month_and_output_errors(tmp_path: Path) -> None:
    """Case 10: `--month 9999-12` and `-o DIRECTORY` gave tracebacks."""
    ledger = tmp_path / "ledger.sqlite"
    Ledger.open(ledger).close()
    base = ("chargeback", "--ledger-path", str(ledger))
    refused(run(*base, "--month", "9999-12"), "month: expected a month written YYYY-MM")
    refused(run(*base, "--month", "2026-01", "-o", str(tmp_path)), f"cannot write -o {tmp_path}")
    out = run(*base, "--month", "2026-01", "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 0
    assert (tmp_path / "out.csv").read_text().startswith("period,cluster,team,")


def test_a_second_writer_of_one_ledger_exits_2_naming_the_holder(tmp_path: Path) -> None:
    """Case 2: two daemons on one ledger both wrote, counting cost twice."""
    ledger_path = tmp_path / "ledger.sqlite"
    with Ledger.open(ledger_path, source=Integrator()):
        with pytest.raises(LedgerInUse, match=r"in use by another quotameter \(pid \d+ on "):
            Ledger.open(ledger_path, source=Integrator())
        out = run("run", "--kubeconfig", "/nonexistent", "--ledger-path", str(ledger_path))
        line = refused(out, f"ledger {ledger_path} is in use by another quotameter")
        assert f"pid {os.getpid()} on {socket.gethostname()}" in line
        reader = Ledger.open(ledger_path, readonly=True)  # readers need no lock
        reader.close()
    with Ledger.open(ledger_path, source=Integrator()):  # released on close
        pass


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs holding a ledger with a day of cost, remounted read-only."""
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        with Ledger.open(mount / "ledger.sqlite", source=Integrator()) as ledger:
            two_core_hours = (("dev", "agents", "", "", "cpu"), "2026-01-01", 7200.0, 1.0)
            ledger.write(Batch(1_767_229_200.0, (two_core_hours,), ()))
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_ledger_on_a_read_only_filesystem(readonly_dir: Path) -> None:
    """Case 8: `run` and `chargeback` crashed calling a read-only ledger corrupt."""
    ledger = readonly_dir / "ledger.sqlite"
    out = run("chargeback", "--ledger-path", str(ledger), "--month", "2026-01",
              "--group-by", "namespace")  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    assert rows[0].startswith("period,cluster,team,namespace,")
    assert rows[1].startswith("2026-01,,agents,dev,2.0000,")
    out = run("run", "--kubeconfig", "/nonexistent", "--ledger-path", str(ledger))
    line = refused(out, f"ledger {ledger} is on a read-only filesystem")
    assert "corrupt" not in line
