"""Quota right-sizing through the real daemon process, with its ledger across a restart.

The first `quotameter run` records today's row of every quota key of the reference
scenario and says the history is too short. Thirteen earlier days are then written
into its ledger, as a daemon running on those days would have written them (one key
near its hard every day, one refused once, the rest as they are today), and the
daemon is started again on it: the API, the metric and `quotameter recommend` agree
on fourteen days of history and on the advice those days give.
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.cost.days import day_index, day_key
from exporter.cost.integrator import Batch
from exporter.ledger.store import Ledger
from exporter.model.peaks import HistoryBatch, QuotaDay
from exporter.model.rightsizing import quantity_text, round_up
from quotasim.server import SimServer
from tests.e2e.runprocess import Daemon

SATURATED = ("dev", "dev-quota", "requests.cpu")  # at 95% of hard on every earlier day
REFUSED = ("prod", "prod-quota", "pods")  # two refusals twelve days ago
Key = tuple[str, str, str]


async def advice(http: aiohttp.ClientSession, daemon: Daemon, query: str = "") -> dict[Key, dict]:
    url = f"http://127.0.0.1:{daemon.port}/api/v1/recommendations{query}"
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert (body["window_days"], body["headroom"]) == (30, 0.2)
    return {(a["namespace"], a["quota"], a["resource"]): a for a in body["recommendations"]}


async def recommended_metric(http: aiohttp.ClientSession, daemon: Daemon) -> dict[Key, float]:
    """quotameter_quota_recommended_hard, once the daemon has computed it."""
    url = f"http://127.0.0.1:{daemon.port}/metrics"
    for _ in range(100):
        async with http.get(url) as response:
            text = await response.text()
        found = {
            (s.labels["namespace"], s.labels["quota"], s.labels["resource"]): s.value
            for family in text_string_to_metric_families(text)
            if family.name == "quotameter_quota_recommended_hard"
            for s in family.samples
        }
        if found:
            return found
        await asyncio.sleep(0.1)
    pytest.fail("quotameter_quota_recommended_hard never appeared on /metrics")


def earlier_days(today: list[QuotaDay], days: int) -> HistoryBatch:
    """``days`` days before today's rows, as a daemon running then would have stored."""
    first = day_index(time.time()) - days
    rows = []
    for offset in range(days):
        day = day_key(first + offset)
        for row in today:
            key = (row.namespace, row.quota, row.resource)
            used = 0.95 * row.hard if key == SATURATED else row.used
            refusals = 2 if key == REFUSED and offset == 1 else 0
            rows.append(QuotaDay(day, row.namespace, row.team, row.quota, row.resource,
                                 used, used, row.hard, refusals))  # fmt: skip
    return HistoryBatch(quotas=tuple(rows), changes=tuple(0 for _ in rows))


async def test_advice_from_a_ledger_written_across_a_restart(
    sim: SimServer, kubeconfig: Path, tmp_path: Path
) -> None:
    ledger_path = tmp_path / "ledger.sqlite"
    async with aiohttp.ClientSession() as http:
        daemon = Daemon(kubeconfig, ledger_path)
        await daemon.start(http)
        first = await advice(http, daemon)
        await daemon.stop(signal.SIGTERM)
    assert first, "the reference scenario has quotas"
    assert {(a["verdict"], a["suggested"], a["figures"]["days"]) for a in first.values()} == {
        ("insufficient-history", None, 1)
    }
    assert {SATURATED, REFUSED} <= first.keys()

    ledger = Ledger.open(ledger_path)
    today_key = day_key(day_index(time.time()))
    today, _ = ledger.history(first=today_key, last=today_key)
    assert {(r.namespace, r.quota, r.resource) for r in today} == first.keys()
    ledger.write(Batch(time.time(), (), ()), earlier_days(today, 13))
    ledger.close()

    async with aiohttp.ClientSession() as http:
        daemon = Daemon(kubeconfig, ledger_path)
        await daemon.start(http)
        second = await advice(http, daemon)
        metric = await recommended_metric(http, daemon)
        async with http.get(
            f"http://127.0.0.1:{daemon.port}/api/v1/recommendations?window_days=3"
        ) as bad:
            assert bad.status == 400
            assert (
                "window_days must be a whole number of days from 7 to 90"
                in (await bad.json())["error"]
            )
        await daemon.stop(signal.SIGTERM)

    assert second.keys() == first.keys()
    assert {a["figures"]["days"] for a in second.values()} == {14}
    by_key = {(r.namespace, r.quota, r.resource): r for r in today}
    for key, got in second.items():
        row = by_key[key]
        if key == SATURATED:  # 13 of 14 days at 95%: the 95th percentile is 0.95 x hard
            assert got["verdict"] == "tight"
            assert got["figures"]["days_saturated"] >= 13
            assert got["suggested"] == round_up(0.95 * row.hard * 1.2, got["unit"])
        else:  # the same used every day: used plus 20%, rounded up
            assert got["suggested"] == round_up(row.used * 1.2, got["unit"]), key
        assert got["quantities"]["suggested"] == quantity_text(got["suggested"], got["unit"])
    assert (second[REFUSED]["verdict"], second[REFUSED]["figures"]["refusals"]) == ("tight", 2)
    assert second[REFUSED]["reason"] == "2 refused in the window"
    assert metric == {key: got["suggested"] for key, got in second.items()}

    # The CLI reads the stopped daemon's ledger and says the same.
    out = tmp_path / "advice.csv"
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "exporter.cli", "recommend", "--ledger-path", str(ledger_path),
         "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {(r["namespace"], r["quota"], r["resource"]): (r["verdict"], r["suggested"])
            for r in rows} == {
        key: (got["verdict"], got["quantities"]["suggested"]) for key, got in second.items()
    }  # fmt: skip
