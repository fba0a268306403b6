"""Fleet mode on a real Prometheus scraping both daemons, and on VictoriaMetrics fed by
the Prometheus servers' remote_write (the check itself: tests/e2e/fleet.py; on Thanos
Query, whose binary the Go toolchain builds: tests/cluster/test_fleet_thanos.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.engines import VictoriaMetricsFleet
from tests.e2e.fleet import Engine, fleet_rows_match_each_ledger
from tests.e2e.promserver import PromServer

ENGINES: dict[str, Engine] = {"prometheus": PromServer, "victoria-metrics": VictoriaMetricsFleet}


@pytest.mark.parametrize("engine", ENGINES)
async def test_fleet_rows_match_each_ledger(tmp_path: Path, engine: str) -> None:
    await fleet_rows_match_each_ledger(tmp_path, ENGINES[engine])
