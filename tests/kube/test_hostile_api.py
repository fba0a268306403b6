"""An API server that tries to hurt the client: endless lines and bodies, huge
Retry-After, silence after accepting the connection (issue 11, cases 3, 4 and 12)."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import AsyncIterator, Callable

import pytest

from exporter.errors import ServerError, StreamError
from exporter.kube.client import ClientLimits, KubeClient, MiB
from exporter.kube.config import load_kubeconfig, static_config
from exporter.kube.informer import Informer
from exporter.model.health import InformerHealth
from quotasim.faults import Fault
from quotasim.server import SimServer

from .helpers import FakeSleep, RecordingLog, RecordingSink, drain, running, wait_until

LIMITS = ClientLimits(max_line_bytes=MiB, max_body_bytes=2 * MiB)


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
async def bounded(kubeconfig, health: InformerHealth) -> AsyncIterator[KubeClient]:
    log = RecordingLog()
    async with KubeClient(load_kubeconfig(kubeconfig), health=health, limits=LIMITS, log=log) as c:
        yield c


async def test_a_watch_line_without_end_is_cut_at_the_limit(
    bounded: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    """Case 3: a newline-free watch line took RSS to 3.1 GB."""
    before = max_rss_mib()
    sim.inject(Fault(kind="flood", resource="pods"))
    lines = bounded.stream_lines(
        "/api/v1/pods", {"watch": "true", "resourceVersion": str(sim.cluster.store.rv)},
        inactivity_timeout=5, kind="pods",
    )  # fmt: skip
    with pytest.raises(StreamError, match="a line over 1048576 bytes") as caught:
        await drain(lines)
    assert caught.value.reason == "TooLarge"
    assert health.api_errors_total[("pods", "stream")] == 1
    assert max_rss_mib() - before < 64


async def test_an_endless_list_body_is_refused_at_the_limit(
    bounded: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    """Case 3: an endless chunked LIST body reached 7.6 GB in 30 s."""
    before = max_rss_mib()
    sim.inject(Fault(kind="flood-body", resource="pods"))
    with pytest.raises(ServerError, match="body over 2097152 bytes") as caught:
        await bounded.get_json("/api/v1/pods", {"limit": "10"}, kind="pods")
    assert caught.value.reason == "TooLarge"
    assert health.api_errors_total[("pods", "connection")] == 1
    log = bounded.log
    assert isinstance(log, RecordingLog)
    assert log.events("api.body_too_large") == [
        {"kind": "pods", "path": "/api/v1/pods", "limit_bytes": 2 * MiB}
    ]
    assert max_rss_mib() - before < 64
    # The next request is served normally: the flood poisoned nothing.
    items = (await bounded.get_json("/api/v1/pods", kind="pods"))["items"]
    assert isinstance(items, list)
    assert len(items) == 6


async def test_retry_after_is_capped_at_the_backoff_cap(
    make_informer: Callable[..., Informer],
    sim: SimServer,
    sink: RecordingSink,
    sleep: FakeSleep,
    health: InformerHealth,
) -> None:
    """Case 4: `Retry-After: 100000` froze the quota informer."""
    informer = make_informer("resourcequotas")
    sim.inject(Fault(kind="http", resource="resourcequotas", status=429, retry_after=100000))
    async with running(informer.run):
        await wait_until(lambda: health.kind("resourcequotas").synced)
    assert sleep.delays == [informer.options.backoff.cap]
    assert informer.options.backoff.cap == 30.0
    assert len(sink.state["resourcequotas"]) == 3


async def silent_server() -> tuple[asyncio.Server, int, list[asyncio.StreamWriter]]:
    """Accepts TCP connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], held


async def test_a_server_that_never_answers_times_out_with_a_log_line() -> None:
    """Case 12: an API server that accepts TCP and never answers was silent for 30 s."""
    server, port, held = await silent_server()
    log, health = RecordingLog(), InformerHealth()
    limits = ClientLimits(connect_timeout=0.2, first_byte_timeout=0.3)
    api = static_config(f"http://127.0.0.1:{port}")
    try:
        async with KubeClient(api, health=health, limits=limits, log=log) as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(ServerError, match=r"no first byte within 0\.5 s") as caught:
                await client.get_json("/api/v1/pods", kind="pods")
            waited = asyncio.get_running_loop().time() - started
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
    assert 0.4 < waited < 2.0
    assert caught.value.reason == "Timeout"
    assert log.events("api.timeout") == [
        {"kind": "pods", "path": "/api/v1/pods", "phase": "first_byte", "after_seconds": 0.5,
         "server": f"http://127.0.0.1:{port}"}
    ]  # fmt: skip
    assert health.api_errors_total == {("pods", "connection"): 1}
