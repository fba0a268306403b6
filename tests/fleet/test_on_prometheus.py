"""Fleet chargeback's queries on a real Prometheus and a real VictoriaMetrics, over
samples written at chosen times (Prometheus: `promtool tsdb create-blocks-from
openmetrics`; VictoriaMetrics: its import API), so that what is tested does not depend
on the time of day the test runs.

The case: a daemon started less than one subquery step before `now`. At 20:00:35 UTC
today's window is 72,035 s long and its subqueries step 50 s, at multiples of 50 in Unix
time; a cost series that began at 20:00:05 is seen at none of those instants (the last
one is 20:00:00), and the probes once reported no data at all for the day.
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from exporter.cost.chargeback import Policy
from exporter.cost.csvout import render_csv
from exporter.fleet.chargeback import fleet_chargeback
from exporter.fleet.queries import step_for
from tests.e2e.engines import VictoriaMetricsFleet
from tests.e2e.promserver import PromServer, QueryAPI

POLICY = Policy(currency="EUR", idle="separate", shared_namespaces=frozenset())
Samples = list[tuple[int, float]]  # (Unix seconds, value)
SERIES = 'quotameter_cost_total{cluster="a",namespace="dev",team="agents",resource="cpu"}'


def backfill(data: Path, samples: Samples) -> None:
    """Write (unix time, value) samples of SERIES into a TSDB folder, as blocks."""
    text = "# TYPE quotameter_cost_total counter\n"
    text += "".join(f"{SERIES} {value} {at}\n" for at, value in samples) + "# EOF\n"
    source = data.parent / "samples.om"
    source.write_text(text)
    command = ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)]
    subprocess.run(command, check=True, capture_output=True)


@asynccontextmanager
async def prometheus_with(workdir: Path, samples: Samples) -> AsyncIterator[QueryAPI]:
    prom = PromServer(workdir, [])
    prom.data.mkdir(parents=True)
    backfill(prom.data, samples)
    async with prom:
        yield prom


@asynccontextmanager
async def victoria_metrics_with(workdir: Path, samples: Samples) -> AsyncIterator[QueryAPI]:
    async with VictoriaMetricsFleet(workdir, [], scrape_interval="1s") as vm:
        text = "".join(f"{SERIES} {value} {at * 1000}\n" for at, value in samples)
        # Searchable once its in-memory part is flushed: force that (a query before it
        # would find no series, and VictoriaMetrics remembers that for a while).
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{vm.url}/api/v1/import/prometheus", data=text) as r:
                assert r.status == 204, await r.text()
            async with http.get(f"{vm.url}/internal/force_flush") as r:
                assert r.status == 200, await r.text()
        assert await vm.query("quotameter_cost_total", at=samples[-1][0]), vm.logs()
        yield vm


ENGINES = {"prometheus": prometheus_with, "victoria-metrics": victoria_metrics_with}


@pytest.mark.parametrize("engine", ENGINES)
async def test_a_daemon_started_within_the_last_step_is_charged(
    tmp_path: Path, engine: str
) -> None:
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday -= timedelta(days=1)  # a whole day back: the head block holds nothing
    day = int(yesterday.timestamp())
    now = day + 72_035  # 20:00:35
    assert step_for(now - day) == 50
    assert (now - day) % 50 == 35  # 35 s past the last instant of the subqueries
    # One currency unit per second, from 20:00:05 to 20:00:30.
    samples = [(day + 72_005 + s, float(s)) for s in range(26)]
    async with ENGINES[engine](tmp_path / engine, samples) as api:
        report = await fleet_chargeback(
            api.url,
            month=yesterday.strftime("%Y-%m"),
            group_by="namespace",
            policy=POLICY,
            now=now,
        )
    rows = list(csv.DictReader(io.StringIO(render_csv(report.rows, group_by="namespace").decode())))
    charged = {(r["cluster"], r["namespace"]): float(r["cpu_cost"]) for r in rows}
    # increase() over the last 50 s: 25 units (Prometheus extrapolates by half a scrape
    # interval to the window's end, 5 s after the last sample; VictoriaMetrics does not).
    assert 25.0 <= charged[("a", "dev")] <= 25.5
    assert report.clusters == ["a"]
