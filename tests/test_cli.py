"""The command line: exit codes, messages, help."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import aiohttp

from exporter import __version__
from exporter.ledger.store import Ledger


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exporter.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_version() -> None:
    out = run("--version")
    assert (out.returncode, out.stdout.strip()) == (0, f"quotameter {__version__}")


def test_check_config_prints_effective_config() -> None:
    out = run("check-config", "--page-size", "50")
    assert out.returncode == 0
    assert json.loads(out.stdout)["page_size"] == 50


def test_invalid_setting_exits_2_naming_field_and_value() -> None:
    out = run("check-config", "--port", "abc")
    assert out.returncode == 2
    assert "invalid setting port='abc'" in out.stderr
    assert "Traceback" not in out.stderr


def test_help_lists_every_command() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("demo", "sim", "check-config", "chargeback", "recommend"):
        assert command in out.stdout


def test_sim_rejects_bad_synthetic_size() -> None:
    out = run("sim", "--synthetic", "lots")
    assert out.returncode == 2
    assert "--synthetic must look like 5000x20" in out.stderr


def test_bad_pricing_file_exits_2_naming_the_field(tmp_path) -> None:
    pricing = tmp_path / "pricing.yaml"
    pricing.write_text("cpu_core_hour: cheap\n")
    out = run("run", "--kubeconfig", "/nonexistent", "--pricing-file", str(pricing))
    assert out.returncode == 2
    assert "pricing.cpu_core_hour='cheap'" in out.stderr
    assert "Traceback" not in out.stderr


def test_foreign_ledger_is_refused_and_left_alone(tmp_path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    ledger.write_bytes(b"not sqlite at all")
    out = run("chargeback", "--ledger-path", str(ledger))
    assert out.returncode == 1
    assert f"ledger {ledger} is not an SQLite database" in out.stderr
    assert ledger.read_bytes() == b"not sqlite at all"


def test_missing_kubeconfig_exits_2(tmp_path) -> None:
    out = run("run", "--kubeconfig", "/nonexistent", "--ledger-path", str(tmp_path / "l.sqlite"))
    assert out.returncode == 2
    assert "cannot load kubeconfig" in out.stderr


def test_bad_format_parameters_exit_2_with_one_line_naming_the_parameter(tmp_path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    Ledger.open(ledger).close()
    base = ("chargeback", "--ledger-path", str(ledger), "--month", "2026-01")
    cases = [
        (("--format", "xml"), "quotameter chargeback: format: expected one of csv, focus, "
                              "got 'xml'"),
        (("--format", "focus", "--group-by", "team"), "quotameter chargeback: group_by: not "
                                                      "used with format=focus"),
        (("--format", "focus", "--prometheus", "http://127.0.0.1:9"),
         "quotameter chargeback: format: focus is written from the ledger"),
    ]  # fmt: skip
    for args, message in cases:
        out = run(*base, *args)
        assert (out.returncode, out.stdout) == (2, ""), out.stderr
        assert len(out.stderr.splitlines()) == 1
        assert out.stderr.startswith(message), out.stderr
    out = run(*base, "--format", "focus")
    assert out.returncode == 0
    assert len(out.stdout.splitlines()) == 1  # an empty month: the header alone
    assert out.stdout.startswith("BilledCost,EffectiveCost,ListCost,ContractedCost,")


async def test_demo_prints_the_overview_url_first_with_the_port_it_bound(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exporter.cli", "demo", "--port", "0", "--log-level", "warning",
        "--ledger-path", str(tmp_path / "ledger.sqlite"),
        "--kubeconfig-out", str(tmp_path / "kubeconfig"),
        stdout=asyncio.subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            while not (line := (await proc.stdout.readline()).decode()).strip():
                pass
        url = line.split("open ", 1)[1].split("/ ", 1)[0]
        assert line.startswith("quotameter demo: open http://127.0.0.1:")
        assert not url.endswith(":0")
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as r:
            assert (r.status, await r.text()) == (200, "ok\n")
    finally:
        proc.terminate()
        await proc.wait()


def test_recommend_refuses_bad_parameters_and_a_missing_ledger(tmp_path) -> None:
    ledger = str(tmp_path / "none.sqlite")
    window = run("recommend", "--window-days", "5", "--ledger-path", ledger)
    headroom = run("recommend", "--headroom", "-1", "--ledger-path", ledger)
    missing = run("recommend", "--ledger-path", ledger)
    assert (window.returncode, window.stderr) == (
        2, "quotameter recommend: window_days must be a whole number of days from 7 to 90, "
        "got '5'\n",
    )  # fmt: skip
    assert (headroom.returncode, headroom.stderr.count("\n")) == (2, 1)
    assert "headroom must be a fraction" in headroom.stderr
    assert (missing.returncode, missing.stderr) == (
        1, f"quotameter recommend: no ledger at {ledger} (set QUOTAMETER_LEDGER_PATH)\n"
    )  # fmt: skip


def test_recommend_on_a_ledger_without_history_says_so(tmp_path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(path).close()
    out = run("recommend", "--ledger-path", str(path))
    assert out.returncode == 0
    assert out.stdout.splitlines() == [
        "namespace,team,quota,resource,verdict,hard,used,suggested,unit,days,used_peak_p95,"
        "saturation_peak,days_saturated,refusals,requests_peak,usage_peak,reason"
    ]
    assert out.stderr == (
        "quotameter recommend: note: the ledger holds no quota history in the last 30 days "
        "(a running daemon writes it with each flush)\n"
    )


def test_recommend_prints_a_table_on_a_terminal() -> None:
    from exporter.cli.recommend import render_table
    from exporter.model.peaks import QuotaDay
    from exporter.model.rightsizing import recommend

    days = [
        QuotaDay(f"2026-11-{d:02d}", "dev", "web", "compute", key, used, used, hard, 0)
        for d in range(1, 9)
        for key, used, hard in (("requests.cpu", 1.9, 2.0), ("requests.memory", 2.0**29, 2.0**31))
    ]
    assert render_table(recommend(days)).splitlines() == [
        "NAMESPACE   QUOTA     RESOURCE          HARD   USED    SUGGESTED   VERDICT   WHY",
        "dev         compute   requests.cpu      2      1900m   2300m       tight     "
        "at 90% or more on 8 of 8 days",
        "dev         compute   requests.memory   2Gi    512Mi   615Mi       fit       "
        "below 30% on 8 days, not yet the whole 30",
    ]
