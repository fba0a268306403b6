"""The FOCUS export of a running daemon on the demo cluster: over HTTP and from the CLI
byte for byte, valid FOCUS, and the chargeback CSV's money to the cent."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from exporter.app import EXAMPLE_PRICING
from tests.e2e.conftest import RunningDaemon
from tests.focusvalidator import assert_valid, validate


async def cli(daemon: RunningDaemon, *args: str) -> tuple[int, bytes, bytes]:
    """`quotameter chargeback` on the daemon's ledger, with its prices and cluster name."""
    settings = daemon.daemon.settings
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exporter.cli", "chargeback", *args,
        "--ledger-path", str(settings.ledger_path), "--pricing-file", str(EXAMPLE_PRICING),
        "--cluster-name", settings.cluster_name,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    return proc.returncode or 0, out, err


def rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


async def test_focus_from_web_and_cli_identical_valid_and_equal_to_the_chargeback(
    demo_daemon: RunningDaemon, tmp_path: Path
) -> None:
    await asyncio.sleep(8)  # the demo cluster costs about 5 USD an hour: a cent or so
    month = time.strftime("%Y-%m", time.gmtime())
    async with demo_daemon.session.get(f"{demo_daemon.url}/chargeback.csv?format=focus") as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.headers["Content-Disposition"] == f'attachment; filename="focus-{month}.csv"'
        web = await r.read()
    # The CLI reads the ledger as the request's flush left it (the next is 60 s away).
    code, from_cli, err = await cli(demo_daemon, "--format", "focus", "--month", month)
    assert (code, err) == (0, b"")
    assert from_cli == web
    _, chargeback, _ = await cli(demo_daemon, "--month", month, "--group-by", "vcluster")
    total = sum(Decimal(row["total_cost"]) for row in rows(chargeback))
    focus = rows(web)
    assert total > 0
    assert sum(Decimal(row["BilledCost"]) for row in focus) == total
    namespaces = {row["SubAccountId"] for row in focus}
    assert namespaces >= {"dev", "staging", "prod", "ml-training", "vc-sandbox"}
    assert "observability" not in namespaces  # shared: spread over the others
    # Shared cost is still below a cent here (tests/ledger has it with real money).
    assert {row["ResourceType"] for row in focus} >= {
        "Namespace", "Virtual cluster namespace", "Idle capacity",
    }  # fmt: skip
    assert {row["PricingUnit"] for row in focus} == {"Core-Hours", "GiB-Hours", "GPU-Hours"}
    assert {row["BillingAccountId"] for row in focus} == {"demo"}
    data = tmp_path / "focus.csv"
    data.write_bytes(web)
    assert_valid(validate(data, workdir=tmp_path))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("format=xml", "format"), ("format=focus&group_by=team", "group_by"),
     ("format=focus&month=2026-13", "month"), ("format=", "format")],
)  # fmt: skip
async def test_bad_focus_parameters_are_400(
    daemon: RunningDaemon, query: str, parameter: str
) -> None:
    async with daemon.session.get(f"{daemon.url}/chargeback.csv?{query}") as r:
        assert r.status == 400
        body = await r.json()
    assert body["status"] == 400
    assert body["error"].startswith(f"{parameter}: ")
