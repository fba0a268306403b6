"""The daemon's HTTP endpoints, as a client sees them."""

from __future__ import annotations

import asyncio
import gzip
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from exporter.app import build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import load_settings
from quotasim.server import SimServer
from tests.e2e.conftest import RunningDaemon


async def test_summary_of_the_reference_scenario(daemon: RunningDaemon) -> None:
    async with daemon.session.get(f"{daemon.url}/api/v1/summary") as r:
        assert r.status == 200
        body = await r.json()
    spaces = {ns["namespace"]: ns for ns in body["namespaces"]}
    assert sorted(spaces) == ["dev", "prod", "staging"]
    dev = spaces["dev"]
    assert dev["team"] == "agents"
    quota = {q["name"]: q for q in dev["quotas"]}["dev-quota"]
    cpu = quota["resources"]["requests.cpu"]
    assert (cpu["hard"], cpu["used"], cpu["saturation"]) == (2.0, 0.2, pytest.approx(0.1))


async def test_openmetrics_when_asked(daemon: RunningDaemon) -> None:
    headers = {"Accept": "application/openmetrics-text; version=1.0.0"}
    async with daemon.session.get(f"{daemon.url}/metrics", headers=headers) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        text = await r.text()
    assert text.rstrip().endswith("# EOF")
    assert 'quotameter_quota_hard{namespace="dev",quota="dev-quota"' in text


async def test_text_format_by_default(daemon: RunningDaemon) -> None:
    async with daemon.session.get(f"{daemon.url}/metrics") as r:
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("gzip;q=0", False),
     ("identity", False), ("", False)],
)  # fmt: skip
async def test_metrics_gzipped_when_accepted(
    daemon: RunningDaemon, accept_encoding: str, gzipped: bool
) -> None:
    async with (
        aiohttp.ClientSession(auto_decompress=False) as raw,
        raw.get(f"{daemon.url}/metrics", headers={"Accept-Encoding": accept_encoding}) as r,
    ):
        body, encoding = await r.read(), r.headers.get("Content-Encoding")
        assert r.headers["Vary"] == "Accept-Encoding"
    assert encoding == ("gzip" if gzipped else None)
    text = gzip.decompress(body) if gzipped else body
    hard = b'quotameter_quota_hard{namespace="dev",team="agents",quota="dev-quota",'
    assert hard + b'resource="limits.cpu"} 4.0\n' in text
    assert text.endswith(b"\n")


async def test_api_token_protects_the_api(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QUOTAMETER_API_TOKEN", "s3cret")
    settings = load_settings(
        flags={"host": "127.0.0.1", "port": 0, "ledger_path": str(tmp_path / "l.sqlite")}
    )
    built = build_daemon(settings)
    stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(built, static_config(sim.url), stop=stop, on_started=port.set_result)
    )
    base = f"http://127.0.0.1:{await port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v1/summary") as r:
            assert r.status == 401
            assert (await r.json())["error"] == "missing or wrong bearer token"
        headers = {"Authorization": "Bearer s3cret"}
        async with http.get(f"{base}/api/v1/summary", headers=headers) as r:
            assert r.status == 200
        async with http.get(f"{base}/api/v1/recommendations") as r:
            assert r.status == 401
        async with http.get(f"{base}/api/v1/recommendations", headers=headers) as r:
            assert r.status == 200
        async with http.get(f"{base}/metrics") as r:  # the scrape needs no token
            assert r.status == 200
    stop.set()
    await task


async def test_chargeback_csv_from_web_and_cli_are_identical(daemon: RunningDaemon) -> None:
    month = time.strftime("%Y-%m", time.gmtime())
    url = f"{daemon.url}/chargeback.csv?month={month}&group_by=namespace"
    async with daemon.session.get(url) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        web_csv = await r.read()
    ledger = daemon.daemon.settings.ledger_path
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exporter.cli",
        "chargeback",
        "--month",
        month,
        "--group-by",
        "namespace",
        "--ledger-path",
        str(ledger),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    cli_csv, err = await proc.communicate()
    assert (proc.returncode, err) == (0, b"")
    assert cli_csv == web_csv
    lines = web_csv.decode().splitlines()
    assert lines[0].startswith("period,cluster,team,namespace,cpu_core_hours,")
    assert {line.split(",")[3] for line in lines[1:]} >= {"dev", "staging", "prod"}


@pytest.mark.parametrize("query", ["month=2026-13", "month=26-01", "group_by=pods"])
async def test_bad_chargeback_parameters_are_400(daemon: RunningDaemon, query: str) -> None:
    async with daemon.session.get(f"{daemon.url}/chargeback.csv?{query}") as r:
        assert r.status == 400
        body = await r.json()
    assert body["status"] == 400
    assert ("month" if "month" in query else "group_by") in body["error"]
