"""The daemon's HTTP endpoints, as a client sees them."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from exporter.app import build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import load_settings
from exporter.sim.server import SimServer
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


async def test_api_token_protects_the_api(sim: SimServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTAMETER_API_TOKEN", "s3cret")
    settings = load_settings(flags={"host": "127.0.0.1", "port": 0})
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
        async with http.get(f"{base}/metrics") as r:  # the scrape needs no token
            assert r.status == 200
    stop.set()
    await task
