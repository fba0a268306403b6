"""One error path for HTTP: a failing route is a JSON 500 logged once, the ledger failing
a JSON 503, and aiohttp's bad-request noise one rate-limited JSON line (issue 11,
cases 9 and 10)."""

from __future__ import annotations

import asyncio
import logging
from typing import NoReturn

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from exporter.errors import LedgerError
from exporter.logconfig import LibraryBridge, bridge_library_logging
from exporter.model.health import InformerHealth
from exporter.web import build_app
from tests.kube.helpers import RecordingLog


class LevelLog:
    """Keeps what a LibraryBridge logs: (level, event, fields)."""

    def __init__(self) -> None:
        self.records: list[tuple[int, str, dict]] = []

    def log(self, level: int, event: str, **fields: object) -> None:
        self.records.append((level, event, fields))


def boom() -> NoReturn:
    raise OverflowError("integer division result too large for a float")


def ledger_down() -> NoReturn:
    raise LedgerError("cannot write ledger /l.sqlite: database or disk is full")


async def csv_on_a_full_disk(**_: object) -> bytes:
    ledger_down()


async def advice_on_a_full_disk(**_: object) -> list:
    ledger_down()


async def serve_app(summary, log: RecordingLog) -> TestClient:
    app = build_app(registry=CollectorRegistry(), text=lambda: b"", health=InformerHealth(),
                    summary=summary, chargeback=csv_on_a_full_disk,
                    recommendations=advice_on_a_full_disk, log=log)  # fmt: skip
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_a_failing_route_is_a_json_500_logged_once_per_request() -> None:
    log = RecordingLog()
    client = await serve_app(boom, log)
    try:
        for _ in range(2):
            response = await client.get("/api/v1/summary")
            assert (response.status, await response.json()) == (
                500, {"error": "internal error (logged as http.failed)", "status": 500}
            )  # fmt: skip
        missing = await client.get("/nope")
        assert (missing.status, (await missing.json())["status"]) == (404, 404)
    finally:
        await client.close()
    failed = log.events("http.failed")
    assert [(e["path"], e["error"]) for e in failed] == [
        ("/api/v1/summary", "OverflowError('integer division result too large for a float')"),
    ] * 2


async def test_the_ledger_failing_is_a_json_503() -> None:
    """Case 10: a CSV route failing on a full disk was aiohttp's plain-text 500."""
    log = RecordingLog()
    client = await serve_app(ledger_down, log)
    try:
        response = await client.get("/api/v1/summary")
        body = await response.json()
    finally:
        await client.close()
    assert response.status == 503
    assert body["error"].endswith("database or disk is full")
    assert [e["error"] for e in log.events("http.ledger_failed")] == [
        "cannot write ledger /l.sqlite: database or disk is full"
    ]


async def test_the_csv_route_with_the_ledger_failing_is_a_json_503() -> None:
    client = await serve_app(dict, RecordingLog())
    try:
        response = await client.get("/chargeback.csv?month=2026-04")
        body = await response.json()
        bad = await client.get("/chargeback.csv?month=April")
    finally:
        await client.close()
    assert (response.status, body["status"]) == (503, 503)
    assert body["error"].endswith("database or disk is full")
    assert bad.status == 400


async def test_the_recommendations_route_names_a_bad_parameter_and_a_failing_ledger() -> None:
    client = await serve_app(dict, RecordingLog())
    try:
        failing = await client.get("/api/v1/recommendations")
        window = await client.get("/api/v1/recommendations?window_days=365")
        headroom = await client.get("/api/v1/recommendations?headroom=20%25")
        bodies = [await r.json() for r in (failing, window, headroom)]
    finally:
        await client.close()
    assert [r.status for r in (failing, window, headroom)] == [503, 400, 400]
    assert bodies[0]["error"].endswith("database or disk is full")
    assert bodies[1]["error"] == (
        "window_days must be a whole number of days from 7 to 90, got '365'"
    )
    assert bodies[2]["error"] == "headroom must be a fraction from 0 to 10 (0.2 is 20%), got '20%'"


async def test_malformed_requests_are_one_rate_limited_json_line() -> None:
    """Case 9: each `GET /\\x01` wrote an 11-line traceback into the JSON log."""
    log, now = LevelLog(), [0.0]
    bridge = bridge_library_logging(LibraryBridge(log=log, min_interval=10, clock=lambda: now[0]))
    client = await serve_app(dict, RecordingLog())
    try:
        for sent in range(6):
            if sent == 5:
                now[0] = 11.0
            reader, writer = await asyncio.open_connection(client.host, client.port)
            writer.write(b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            status_line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            assert status_line.split()[1] == b"400", status_line
    finally:
        await client.close()
        logging.getLogger().removeHandler(bridge)
    events = [(level, event, fields) for level, event, fields in log.records]
    assert [(level, event) for level, event, _ in events] == [
        (logging.ERROR, "http.bad_request"), (logging.ERROR, "http.bad_request")
    ]  # fmt: skip
    first, second = events[0][2], events[1][2]
    assert first["logger"] == "aiohttp.server"
    assert "\n" not in first["error"]
    assert "suppressed" not in first
    assert second["suppressed"] == 4
