"""Fleet chargeback against a tiny fake of the Prometheus HTTP API (aiohttp, loopback).

The fake answers by the shape of the query, so these tests pin both the
queries we send (text, evaluation times, headers) and the rows we compute.
A real Prometheus scraping real daemons is exercised by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import csv
import io
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from exporter.cost.chargeback import Policy
from exporter.cost.csvout import render_csv
from exporter.fleet.chargeback import fleet_chargeback
from exporter.fleet.promapi import NotPrometheus, PrometheusUnreachable, PromQLError

FEB = datetime(2026, 2, 10, tzinfo=UTC)  # "now": January is complete
JAN_1 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
POLICY = Policy(currency="EUR", idle="separate", shared_namespaces=frozenset({"observability"}))
GIB = 2**30
Reply = Callable[[str, float], object]


def vector(*samples: tuple[dict[str, str], float]) -> dict[str, Any]:
    result = [{"metric": m, "value": [0, repr(v)]} for m, v in samples]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def owner(cluster: str | None, namespace: str, team: str, resource: str) -> dict[str, str]:
    labels = {"namespace": namespace, "team": team, "resource": resource}
    return labels | ({"cluster": cluster} if cluster else {})


def fleet_day(query: str, at: float) -> dict[str, Any]:
    """Every day alike: cluster a (dev, ml, shared observability, idle cpu) and an unlabelled."""
    if "increase(quotameter_cost_total" in query:
        return vector(
            (owner("a", "dev", "agents", "cpu"), 1.0),
            (owner("a", "dev", "agents", "memory"), 0.25),
            (owner("a", "observability", "platform", "cpu"), 0.5),
            (owner("a", "ml", "ml", "nvidia.com/gpu"), 10.0),
            (owner(None, "prod", "p", "cpu"), 2.0),
        )
    if "quotameter_allocation))[" in query:  # the allocation integral, not idle units
        return vector(
            (owner("a", "dev", "agents", "cpu"), 1440.0),  # 1 core at every minute
            (owner("a", "dev", "agents", "memory"), 1440.0 * 2 * GIB),
            (owner("a", "ml", "ml", "nvidia.com/gpu"), 1440.0 * 2),
        )
    if "quotameter_idle_hourly_cost" in query:
        return vector(({"cluster": "a", "resource": "cpu"}, 1440 * 0.1))  # 0.1 per hour
    if "quotameter_cluster_capacity" in query:
        return vector(({"cluster": "a", "resource": "cpu"}, 1440 * 3.0))  # 3 idle cores
    if query.startswith("count_over_time("):
        return vector(({"cluster": "a"}, 1440.0), ({}, 720.0))  # unlabelled: half the time
    if query.startswith("min_over_time(timestamp("):
        return vector(({"cluster": "a"}, at - 86400 + 60), ({}, at - 3600))  # all day long
    raise AssertionError(f"unexpected query {query}")


class FakePrometheus:
    """GET /api/v1/query answered by `reply(query, time)`; every request is recorded."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[tuple[str, float, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        query, at = request.query["query"], float(request.query["time"])
        self.requests.append((query, at, dict(request.headers)))
        answer = self.reply(query, at)
        if asyncio.iscoroutine(answer):
            answer = await answer
        return answer if isinstance(answer, web.StreamResponse) else web.json_response(answer)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/prom/api/v1/query", self.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/prom/"  # a path prefix, as Mimir has
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


@pytest.fixture(autouse=True)
async def no_leftover_tasks() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not left, f"tasks left running: {left}"


@pytest.fixture
async def prometheus() -> AsyncIterator[Callable[[Reply], FakePrometheus]]:
    started: list[FakePrometheus] = []

    def make(reply: Reply) -> FakePrometheus:
        fake = FakePrometheus(reply)
        started.append(fake)
        return fake

    yield make
    for fake in started:
        await fake.stop()


async def run(fake: FakePrometheus, **overrides: Any):
    url = await fake.start()
    args: dict[str, Any] = {
        "month": "2026-01",
        "group_by": "team",
        "policy": POLICY,
        "now": FEB,
        "cluster": "home",
    }
    return await fleet_chargeback(url, **(args | overrides))


def table(rows, group_by: str = "team") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render_csv(rows, group_by=group_by).decode())))


async def test_rows_per_cluster_from_a_month_of_days(prometheus) -> None:
    fake = prometheus(fleet_day)
    report = await run(fake)
    got = {(r["cluster"], r["team"]): r for r in table(report.rows)}
    assert sorted(got) == [("a", "__idle__"), ("a", "agents"), ("a", "ml"), ("home", "p")]
    agents, ml, idle, p = got["a", "agents"], got["a", "ml"], got["a", "__idle__"], got["home", "p"]
    assert (agents["cpu_cost"], agents["memory_cost"], agents["total_cost"]) == (
        "31.00",
        "7.75",
        "40.47",
    )
    assert (agents["cpu_core_hours"], agents["memory_gib_hours"]) == ("744.0000", "1488.0000")
    # observability's 15.50 goes by weight: 38.75 : 310.00
    assert (agents["shared_cost"], ml["shared_cost"]) == ("1.72", "13.78")
    assert (ml["gpu_hours"], ml["gpu_cost"], ml["total_cost"]) == ("1488.0000", "310.00", "323.78")
    assert (idle["idle_cost"], idle["cpu_core_hours"], idle["total_cost"]) == (
        "74.40",
        "2232.0000",
        "74.40",
    )
    assert (p["cpu_cost"], p["coverage"], agents["coverage"]) == ("62.00", "0.5000", "1.0000")
    assert report.clusters == ["a", "home"]
    assert report.notes == []


async def test_queries_are_one_per_kind_per_utc_day_at_its_end(prometheus) -> None:
    fake = prometheus(fleet_day)
    await run(fake, headers={"X-Scope-OrgID": "tenant-1"})
    assert len(fake.requests) == 31 * 6
    day_ends = sorted({at for _, at, _ in fake.requests})
    assert day_ends == [JAN_1 + 86400 * d for d in range(1, 32)]
    by = "cluster, namespace, team, vcluster, virtual_namespace, resource"
    sent = {q for q, _, _ in fake.requests}
    assert f"sum by ({by}) (increase(quotameter_cost_total[86400s]))" in sent
    any_cost = "group by (cluster) (quotameter_cost_total)"
    assert f"count_over_time(({any_cost})[86399s:60s]) or {any_cost}" in sent
    assert all(h.get("X-Scope-OrgID") == "tenant-1" for _, _, h in fake.requests)


async def test_the_current_month_ends_now_and_coverage_counts_elapsed_time(prometheus) -> None:
    def reply(query: str, at: float) -> object:
        if query.startswith("count_over_time(") and "[43229s:30s]" in query:
            return vector(({"cluster": "a"}, 720.0))  # 720 instants x 30 s: 6 hours observed
        return fleet_day(query, at)

    fake = prometheus(reply)
    report = await run(fake, now=datetime(2026, 1, 2, 12, 0, 30, tzinfo=UTC))
    today = {q for q, at, _ in fake.requests if at == JAN_1 + 86400 + 43230}
    assert len(today) == 6  # evaluated at now, to the second, with a 30 s step
    assert all("[43230s]" in q or "[43229s:30s]" in q for q in today)
    rows = {(r["cluster"], r["team"]): r for r in table(report.rows)}
    assert rows["a", "agents"]["coverage"] == f"{(86400 + 21600) / (86400 + 43230):.4f}"


async def test_a_fresh_daemon_is_integrated_at_a_fine_step(prometheus) -> None:
    now = datetime(2026, 1, 20, 9, 0, 0, tzinfo=UTC)
    at = int(now.timestamp())

    def reply(query: str, when: float) -> object:
        if query.startswith("min_over_time(timestamp("):  # cost data only in the last 2 min
            return vector(({"cluster": "a"}, at - 110)) if when == at else vector()
        # today so far (9 h) has a 22 s step; the data began within 22 s before at - 110
        if "quotameter_allocation))[131s:1s]" in query:
            return vector((owner("a", "dev", "agents", "cpu"), 2.0 * 120))  # 2 cores, 120 s
        return vector()

    fake = prometheus(reply)
    report = await run(fake, now=now)
    measured = [(q, when) for q, when, _ in fake.requests if "timestamp(" not in q]
    measured = [m for m in measured if not m[0].startswith("count_over_time")]
    assert {when for _, when in measured} == {at}  # days without data: probes only
    assert len(measured) == 4
    (row,) = table(report.rows)
    assert row["cpu_core_hours"] == f"{240 / 3600:.4f}"


async def test_vcluster_grouping_without_vcluster_labels_says_so(prometheus) -> None:
    report = await run(prometheus(fleet_day), group_by="vcluster")
    assert report.notes == ["the cost series carry no vcluster label: vcluster columns are empty"]
    assert {r["vcluster"] for r in table(report.rows, "vcluster")} == {""}


async def test_idle_ignored_sends_no_idle_queries(prometheus) -> None:
    fake = prometheus(fleet_day)
    report = await run(
        fake, policy=Policy(idle="ignore", shared_namespaces=POLICY.shared_namespaces)
    )
    assert not any("idle" in q or "capacity" in q for q, _, _ in fake.requests)
    assert "__idle__" not in {r.owner.team for r in report.rows}


async def test_missing_allocation_and_warnings_become_notes(prometheus) -> None:
    def reply(query: str, at: float) -> object:
        if "quotameter_allocation))[" in query:
            return vector()
        answer = fleet_day(query, at)
        return answer | {"warnings": ["partial response: store eu-1 unavailable"]}

    report = await run(prometheus(reply))
    assert report.notes == [
        "partial response: store eu-1 unavailable",
        "no quotameter_allocation samples for 2026-01: quantity columns are 0",
    ]
    assert all(h == 0.0 for r in report.rows if r.owner.team != "__idle__" for h in r.hours)


async def test_unknown_resource_labels_are_noted(prometheus) -> None:
    def reply(query: str, at: float) -> object:
        if "increase(" in query:
            return vector((owner("a", "dev", "agents", "ephemeral-storage"), 1.0))
        return fleet_day(query, at) if "timestamp(" in query else vector()

    report = await run(prometheus(reply))
    assert report.rows == []
    assert (
        "ignored resource label values (not cpu/memory/gpu/storage): ephemeral-storage"
        in report.notes
    )


async def test_progress_counts_queries(prometheus) -> None:
    events: list[object] = []

    class Recording:
        def start(self, total: int, *, label: str) -> None:
            events.append(total)

        def advance(self, steps: int = 1) -> None:
            events.append(steps)

        def finish(self) -> None:
            events.append("done")

    await run(prometheus(fleet_day), progress=Recording())
    assert events == [186, *[1] * 186, "done"]


async def test_promql_error_names_url_and_query(prometheus) -> None:
    def reply(query: str, at: float) -> object:
        body = {"status": "error", "errorType": "bad_data", "error": "parse error at char 7"}
        return web.json_response(body, status=400)

    fake = prometheus(reply)
    with pytest.raises(PromQLError) as caught:
        await run(fake)
    message = str(caught.value)
    assert fake.url in message
    assert "bad_data: parse error at char 7" in message
    assert "quotameter_" in caught.value.query
    assert caught.value.query in message


async def test_html_answer_is_not_prometheus(prometheus) -> None:
    fake = prometheus(
        lambda q, at: web.Response(text="<html>Sign in</html>", content_type="text/html")
    )
    with pytest.raises(
        NotPrometheus, match=r"did not answer like a Prometheus API \(HTTP 200, text/html"
    ):
        await run(fake)


async def test_a_matrix_is_not_an_instant_vector(prometheus) -> None:
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    with pytest.raises(NotPrometheus, match="'matrix' result, expected an instant vector"):
        await run(prometheus(lambda q, at: matrix))


async def test_unreachable_url_names_url_and_query() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(PrometheusUnreachable) as caught:
        await fleet_chargeback(url, month="2026-01", group_by="team", policy=POLICY, now=FEB)
    assert f"cannot reach Prometheus at {url}" in str(caught.value)
    assert "(query: " in str(caught.value)


async def test_timeout_is_unreachable(prometheus) -> None:
    release = asyncio.Event()

    async def slow(query: str, at: float) -> object:
        await release.wait()
        return vector()

    with pytest.raises(PrometheusUnreachable, match="timed out"):
        await run(prometheus(slow), request_timeout=0.2)
    release.set()  # let the fake's handlers finish before it stops


@pytest.mark.parametrize("url", ["localhost:9090", "ftp://prom", "http://"])
async def test_urls_that_are_not_http_are_refused(url: str) -> None:
    with pytest.raises(PrometheusUnreachable, match="--prometheus"):
        await fleet_chargeback(url, month="2026-01", group_by="team", policy=POLICY, now=FEB)
