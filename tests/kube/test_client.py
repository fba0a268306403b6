"""KubeClient: JSON GETs, error mapping and counting, and line framing of streams."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from exporter.errors import (
    Gone,
    KubeAPIError,
    NotFound,
    ServerError,
    StreamError,
    TooManyRequests,
    Unauthorized,
)
from exporter.kube.client import KubeClient, LineBuffer, error_for_status, error_label
from exporter.kube.config import static_config
from exporter.model.health import InformerHealth
from quotasim.faults import Fault
from quotasim.server import SimServer

BIG = b"y" * (5 * 2**20 + 17)
LINES = [b"a", BIG, b"", b'{"k":1}', b"  ", b"tail"]


async def test_get_json_decodes_a_list(client: KubeClient, sim: SimServer) -> None:
    body = await client.get_json("/api/v1/namespaces")
    assert body["kind"] == "NamespaceList"
    items = body["items"]
    assert isinstance(items, list)
    names = {n["metadata"]["name"] for n in items}
    assert {"dev", "staging", "prod"} <= names


@pytest.mark.parametrize(
    ("status", "error", "label"),
    [(500, ServerError, "500"), (503, ServerError, "503"), (410, Gone, "410")],
)
async def test_http_faults_are_typed_and_counted(
    client: KubeClient, sim: SimServer, health: InformerHealth, status: int,
    error: type[KubeAPIError], label: str,
) -> None:  # fmt: skip
    sim.inject(Fault(kind="http", resource="pods", status=status))
    with pytest.raises(error) as caught:
        await client.get_json("/api/v1/pods", kind="pods")
    assert caught.value.code == status
    assert health.api_errors_total == {("pods", label): 1}
    assert (await client.get_json("/api/v1/pods", kind="pods"))["items"]


async def test_429_carries_retry_after(client: KubeClient, sim: SimServer) -> None:
    sim.inject(Fault(kind="http", resource="pods", status=429, retry_after=3))
    with pytest.raises(TooManyRequests) as caught:
        await client.get_json("/api/v1/pods", kind="pods")
    assert caught.value.retry_after == 3.0
    assert "Too many requests" in str(caught.value)


async def test_404_parses_the_status_message(client: KubeClient, sim: SimServer) -> None:
    with pytest.raises(NotFound, match=r'pods "nope" not found') as caught:
        await client.get_json("/api/v1/namespaces/dev/pods/nope")
    assert caught.value.reason == "NotFound"


async def test_wrong_token_is_unauthorized(sim: SimServer, health: InformerHealth) -> None:
    sim.token = "right"
    async with KubeClient(static_config(sim.url, token="wrong"), health=health) as kube:
        with pytest.raises(Unauthorized):
            await kube.get_json("/api/v1/pods", kind="pods")
    assert health.api_errors_total == {("pods", "401"): 1}


async def test_connection_refused_is_a_server_error(health: InformerHealth) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with KubeClient(static_config(f"http://127.0.0.1:{port}"), health=health) as kube:
        with pytest.raises(ServerError) as caught:
            await kube.get_json("/api/v1/pods", kind="pods")
    assert isinstance(caught.value.__cause__, OSError)
    assert health.api_errors_total == {("pods", "connection"): 1}


def test_error_for_status_table() -> None:
    assert type(error_for_status(403, {"reason": "Forbidden"})) is Unauthorized
    assert type(error_for_status(409, {"message": "conflict"})) is KubeAPIError
    assert str(error_for_status(502, {})) == "HTTP 502"
    assert error_label(StreamError("x")) == "stream"
    assert error_label(ServerError("x")) == "connection"
    assert error_label(Gone("x", code=410)) == "410"


def test_line_buffer_byte_by_byte() -> None:
    lines, got = LineBuffer(), []
    for byte in b'{"a":1}\r\n\n  \n{"b":2}\n{"c"':
        got += lines.feed(bytes([byte]))
    assert got == [b'{"a":1}', b'{"b":2}']
    assert lines.pending
    assert lines.feed(b":3}\n") == [b'{"c":3}']
    assert not lines.pending


# -- framing, against a small local server -------------------------------------------------


@pytest.fixture
async def lines_server() -> AsyncIterator[KubeClient]:
    release = asyncio.Event()

    async def chunked(request: web.Request, parts: list[bytes]) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in parts:
            await response.write(part)
        return response

    async def lines(request: web.Request) -> web.StreamResponse:
        payload = b"\r\n".join(LINES) + b"\n"
        sizes, at = [1, 3, 1000, 100_000, 7], 0
        parts: list[bytes] = []
        while at < len(payload):
            size = sizes[len(parts) % len(sizes)]
            parts.append(payload[at : at + size])
            at += size
        return await chunked(request, parts)

    async def truncated(request: web.Request) -> web.StreamResponse:
        return await chunked(request, [b'{"a":1}\n{"b"'])

    async def aborted(request: web.Request) -> web.StreamResponse:
        response = await chunked(request, [b'{"a":1}\n{"b"'])
        assert request.transport is not None
        request.transport.abort()
        return response

    async def stalled(request: web.Request) -> web.StreamResponse:
        response = await chunked(request, [b'{"a":1}\n'])
        await release.wait()
        return response

    async def not_json(request: web.Request) -> web.Response:
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
        return web.Response(
            status=429, text="<html>slow down</html>", headers={"Retry-After": when}
        )

    app = web.Application()
    for path, handler in [("/lines", lines), ("/truncated", truncated), ("/aborted", aborted),
                          ("/stalled", stalled), ("/html", not_json)]:  # fmt: skip
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with KubeClient(static_config(f"http://{host}:{port}")) as kube:
        yield kube
    release.set()
    await runner.cleanup()


async def read_all(
    client: KubeClient, path: str, *, inactivity_timeout: float = 5.0
) -> list[bytes]:
    got: list[bytes] = []
    lines = client.stream_lines(path, inactivity_timeout=inactivity_timeout)
    async with aclosing(lines):
        async for line in lines:
            got.append(line)
    return got


async def test_lines_of_any_length_and_any_chunking(lines_server: KubeClient) -> None:
    got = await read_all(lines_server, "/lines")
    assert got == [b"a", BIG, b'{"k":1}', b"tail"]


@pytest.mark.parametrize("path", ["/truncated", "/aborted"])
async def test_stream_ending_mid_line_is_a_stream_error(
    lines_server: KubeClient, path: str
) -> None:
    with pytest.raises(StreamError):
        await read_all(lines_server, path)
    assert lines_server.health.api_errors_total == {("other", "stream"): 1}


async def test_silence_beyond_inactivity_timeout_is_a_stream_error(
    lines_server: KubeClient,
) -> None:
    got: list[bytes] = []

    async def read() -> None:
        lines = lines_server.stream_lines("/stalled", inactivity_timeout=0.3)
        async with aclosing(lines):
            async for line in lines:
                got.append(line)

    with pytest.raises(StreamError, match=r"no bytes for 0\.3 s") as caught:
        await read()
    assert got == [b'{"a":1}']
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_non_json_error_body_and_http_date_retry_after(lines_server: KubeClient) -> None:
    with pytest.raises(TooManyRequests) as caught:
        await lines_server.get_json("/html")
    assert caught.value.retry_after is not None
    assert 25 < caught.value.retry_after <= 30
