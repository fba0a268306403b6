"""A hostile cluster: whatever objects the API server sends, the daemon keeps serving,
flushing and counting, and removing the objects brings every series back (issue 11,
case 1 and the property test)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.app import build_daemon, serve
from exporter.kube.config import static_config
from exporter.settings import load_settings
from quotasim.cluster import EVENT, NAMESPACE, POD, Cluster
from quotasim.resources import BY_PATH, ResourceType
from quotasim.scenario import load_scenario
from quotasim.server import SimServer
from tests.e2e.conftest import RunningDaemon

QUOTA = BY_PATH[("", "v1", "resourcequotas")]
WATCHED = {POD: "pods", NAMESPACE: "namespaces", QUOTA: "resourcequotas", EVENT: "events"}
# Series that may move while the objects come and go: counters, clocks, accrued cost.
MOVING = ("_total", "_timestamp_seconds", "month_to_date", "projected")
REFUSAL = (
    'pods "p" is forbidden: exceeded quota: dev-quota, requested: pods=1, used: pods=20, '
    "limited: pods=20"
)


def stable(samples: dict[tuple[str, frozenset], float]) -> dict[tuple[str, frozenset], float]:
    return {k: v for k, v in samples.items() if not any(m in k[0] for m in MOVING)}


def pod(name: str, namespace: str, requests: object) -> dict:
    container = {"name": "c", "image": "x", "resources": {"requests": requests}}
    return {"metadata": {"name": name, "namespace": namespace, "uid": f"u-{name}"},
            "spec": {"containers": [container]}, "status": {"phase": "Running"}}  # fmt: skip


async def settle(daemon: RunningDaemon, sim: SimServer, writes: dict[str, int]) -> None:
    """Until the informers have received ``writes`` more events per kind."""
    health = daemon.daemon.health

    def seen(kind: str) -> int:
        return sum(health.kind(kind).events_total.values())

    goal = {kind: seen(kind) + n for kind, n in writes.items()}
    async with asyncio.timeout(10):
        while any(seen(kind) < n for kind, n in goal.items()):
            await asyncio.sleep(0.02)


async def healthy(daemon: RunningDaemon) -> str:
    """/metrics, the summary and /readyz answer, the ledger flushes; the scrape text."""
    text = await daemon.scrape()
    async with daemon.session.get(f"{daemon.url}/api/v1/summary") as r:
        assert r.status == 200
    async with daemon.session.get(f"{daemon.url}/readyz") as r:
        assert (r.status, (await r.json())["failing"]) == (200, [])
    daemon.daemon.meter.flush()
    return text


async def test_a_poisoned_pod_breaks_nothing(daemon: RunningDaemon, sim: SimServer) -> None:
    """Case 1: `memory: 1e400` made /metrics 500 for good and crash-looped the flusher."""
    before = stable(await daemon.samples())
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):  # the same object again and again is logged once
            sim.cluster.store.put(POD, pod("huge", "dev", {"memory": "1e400", "cpu": "1e300"}))
        await settle(daemon, sim, {"pods": 3})
        await healthy(daemon)
    assert daemon.daemon.health.parse_errors_total["pods"] == 3
    skipped = [e for e in logs if e["event"] == "object.skipped"]
    assert [(e["kind"], e["namespace"], e["name"]) for e in skipped] == [("pods", "dev", "huge")]
    assert stable(await daemon.samples()) == before
    sim.cluster.store.remove(POD, "dev", "huge")
    await settle(daemon, sim, {"pods": 1})
    assert stable(await daemon.samples()) == before
    assert daemon.daemon.health.failing_tasks() == []


HOSTILE_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12
)
QUANTITY: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["1e400", "1e300", "-1", "-5m", "9Ei", "1e19", "abc", "", "0.1n", "1Ki",
                     "1e-400", ".5", "+1", "1E+6", "9223372036854775808"]),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([True, None, [], {}, {"a": 1}]),
)  # fmt: skip
REQUESTS = st.one_of(
    st.dictionaries(st.sampled_from(["cpu", "memory", "nvidia.com/gpu", "x\n\x00"]), QUANTITY),
    st.sampled_from([[], "cpu", 7, None]),
)
LABELS: st.SearchStrategy[Any] = st.one_of(
    st.dictionaries(st.sampled_from(["team", "x"]), HOSTILE_TEXT), st.just([])
)


@st.composite
def hostile_objects(draw: st.DrawFn) -> list[tuple[ResourceType, dict]]:
    objects: list[tuple[ResourceType, dict]] = []
    for i in range(draw(st.integers(1, 4))):
        name = f"h{i}-" + draw(HOSTILE_TEXT)
        body = pod(name, draw(st.sampled_from(["dev", "hostile"])), draw(REQUESTS))
        body["metadata"]["labels"] = draw(LABELS)
        if draw(st.booleans()):
            body["spec"] = draw(st.sampled_from([[], "x", {"containers": {"a": 1}}]))
        objects.append((POD, body))
    for i in range(draw(st.integers(0, 2))):
        annotations = {"quotameter.io/monthly-budget": draw(
            st.sampled_from(["1e309", "-1", "NaN", "12.5", "1e15", "x"]))}  # fmt: skip
        meta = {"name": f"hostile-ns{i}", "labels": draw(LABELS), "annotations": annotations}
        objects.append((NAMESPACE, {"metadata": meta}))
    for i in range(draw(st.integers(0, 2))):
        hard = draw(REQUESTS)
        meta = {"name": f"hq{i}", "namespace": "dev"}
        objects.append(
            (QUOTA, {"metadata": meta, "spec": {"hard": hard}, "status": {"hard": hard}})
        )
    for i in range(draw(st.integers(0, 3))):
        count = draw(st.one_of(st.integers(-5, 2**40), st.sampled_from([None, "3", True, 1.5])))
        meta = {"name": f"ev{i}", "namespace": "dev", "uid": f"hostile-ev{i}"}
        message = draw(st.one_of(st.just(REFUSAL), HOSTILE_TEXT, st.just("exceeded quota: q,")))
        objects.append((EVENT, {"metadata": meta, "reason": "FailedCreate",
                                "message": message, "count": count}))  # fmt: skip
    return objects


def valid_refusals(objects: Iterable[tuple[ResourceType, dict]]) -> int:
    return sum(
        body["count"] for rtype, body in objects
        if rtype is EVENT and body["message"] == REFUSAL and type(body["count"]) is int
        and 0 < body["count"] < 2**31
    ) + sum(
        1 for rtype, body in objects
        if rtype is EVENT and body["message"] == REFUSAL and body["count"] in (None, 0)
    )  # fmt: skip


async def hostile_round(objects: list[tuple[ResourceType, dict]], tmp: Path) -> None:
    cluster = Cluster(seed=1)
    load_scenario(cluster, "reference")
    sim = SimServer(cluster, bookmark_seconds=0.2)
    await sim.start()
    settings_ = load_settings(flags={
        "host": "127.0.0.1", "port": 0, "log_level": "error",
        "ledger_path": str(tmp / "ledger.sqlite"),
    })  # fmt: skip
    built = build_daemon(settings_)
    stop, port = asyncio.Event(), asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(built, static_config(sim.url), stop=stop, on_started=port.set_result)
    )
    try:
        async with aiohttp.ClientSession() as session:
            daemon = RunningDaemon(built, f"http://127.0.0.1:{await port}", session)
            await daemon.wait_ready()
            await settle(daemon, sim, {})
            before = stable(await daemon.samples())
            writes: dict[str, int] = {}
            for rtype, body in objects:
                sim.cluster.store.put(rtype, body)
                writes[WATCHED[rtype]] = writes.get(WATCHED[rtype], 0) + 1
            await settle(daemon, sim, writes)
            text = await healthy(daemon)
            check = await asyncio.to_thread(
                subprocess.run, ["promtool", "check", "metrics"], input=text.encode(),
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
            assert (check.returncode, check.stdout + check.stderr) == (0, b"")
            refusals = sum(built.state.rejections.totals().values())
            assert refusals == valid_refusals(objects)
            for rtype, body in objects:
                meta = body["metadata"]
                sim.cluster.store.remove(rtype, meta.get("namespace", ""), meta["name"])
            await settle(daemon, sim, writes)
            await healthy(daemon)
            assert stable(await daemon.samples()) == before
    finally:
        stop.set()
        await task
        await sim.stop()


# derandomize: the same twelve examples on every run, so CI cannot fail on a new draw.
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.function_scoped_fixture])  # fmt: skip
@given(objects=hostile_objects())
def test_a_hostile_cluster_breaks_nothing(
    objects: list[tuple[ResourceType, dict]], tmp_path
) -> None:
    """Adversarial pods, namespaces, quotas and Events through the informers, the state,
    the metrics, cost and a ledger flush; then removed again."""
    round_dir = tmp_path / f"r{id(objects)}"
    round_dir.mkdir()
    asyncio.run(hostile_round(objects, round_dir))


async def test_chargeback_for_a_month_past_the_calendar_is_a_400(daemon: RunningDaemon) -> None:
    """Case 10: `/chargeback.csv?month=9999-12` was a 500."""
    async with daemon.session.get(f"{daemon.url}/chargeback.csv?month=9999-12") as r:
        assert r.status == 400
        body = await r.json()
    assert body["error"].startswith("month: expected a month written YYYY-MM from 1970-01")
