"""Fleet mode on Thanos: each daemon scraped by a Prometheus of its own, with a Thanos
sidecar, and `chargeback --prometheus` pointed at Thanos Query (the check itself:
tests/e2e/fleet.py). Here, not in tests/e2e, because `thanos` is built from its Go
module (cluster/thanos) by cluster/build.sh, which only `make test-cluster` needs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cluster.launcher import build
from tests.e2e.engines import ThanosFleet
from tests.e2e.fleet import fleet_rows_match_each_ledger
from tests.e2e.promserver import ScrapeTarget


async def test_fleet_rows_match_each_ledger_on_thanos_query(tmp_path: Path) -> None:
    binary = build("thanos")["thanos"] / "thanos"
    assert binary.is_file(), f"cluster/build.sh made no {binary}"

    def thanos(workdir: Path, targets: Sequence[ScrapeTarget], *, scrape_interval: str):
        return ThanosFleet(workdir, targets, scrape_interval=scrape_interval, binary=binary)

    await fleet_rows_match_each_ledger(tmp_path, thanos)
