"""GET / over HTTP: the page behind the API token when one is set, with its security
headers, built from the same summary callable as /api/v1/summary."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from exporter.model.health import InformerHealth
from exporter.overview import CSP
from exporter.web import build_app

SUMMARY = {
    "metrics_api_up": True,
    "currency": "USD",
    "namespaces": [{"namespace": "dev", "team": "agents", "quotas": [{
        "name": "dev-quota", "scopes": "",
        "resources": {"requests.cpu": {"hard": 2.0, "used": 1.9, "saturation": 0.95,
                                       "observed_used": 1.9}},
        "rejections": {"total": {}, "last": None},
    }]}],
    "teams": [{"team": "agents", "budget": 300.0, "month_to_date": 12.5, "projected": 310.0}],
}  # fmt: skip


async def no_chargeback(**_: object) -> bytes:
    raise AssertionError("the overview page builds no CSV")


async def no_recommendations(**_: object) -> list:
    raise AssertionError("the overview page reads no advice")


async def client_for(token: str | None) -> TestClient:
    app = build_app(registry=CollectorRegistry(), text=lambda: b"", health=InformerHealth(),
                    summary=lambda: SUMMARY, chargeback=no_chargeback,
                    recommendations=no_recommendations, api_token=token,
                    cluster="eu-1")  # fmt: skip
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_the_page_and_its_headers() -> None:
    client = await client_for(None)
    try:
        response = await client.get("/")
        page = await response.text()
    finally:
        await client.close()
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert '<data class="saturation" value="0.95">95.0%</data>' in page
    assert '<data class="projected" value="310.0">310.00</data>' in page
    assert "projected over budget" in page
    assert "cluster <strong>eu-1</strong>" in page


async def test_the_page_needs_the_token_when_one_is_set() -> None:
    client = await client_for("s3cret")
    try:
        refused = await client.get("/")
        allowed = await client.get("/", headers={"Authorization": "Bearer s3cret"})
        scrape, health = await client.get("/metrics"), await client.get("/healthz")
        body = await refused.json()
    finally:
        await client.close()
    assert (refused.status, body["error"]) == (401, "missing or wrong bearer token")
    assert allowed.status == 200
    assert (scrape.status, health.status) == (200, 200)  # Prometheus and probes need none
