"""One `quotameter run` process against a cluster's kubeconfig, exactly as users start
it: for the tests that stop, kill and restart the real daemon."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

FLUSH_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One `quotameter run` process, flushing its ledger every FLUSH_SECONDS."""

    def __init__(self, kubeconfig: Path, ledger: Path) -> None:
        self.kubeconfig, self.ledger, self.port = kubeconfig, ledger, free_port()
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, http: aiohttp.ClientSession) -> float:
        """Start and wait until ready; returns the moment it became ready."""
        env = {
            **os.environ,
            "QUOTAMETER_LEDGER_FLUSH_SECONDS": str(FLUSH_SECONDS),
            "QUOTAMETER_LOG_LEVEL": "warning",
        }
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "exporter.cli",
            "run",
            "--kubeconfig",
            str(self.kubeconfig),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ledger-path",
            str(self.ledger),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(30):
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as r:
                        if r.status == 200:
                            return time.monotonic()
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)

    async def hourly_cost(self, http: aiohttp.ClientSession) -> float:
        """Sum of quotameter_hourly_cost: the allocation's rate."""
        async with http.get(f"http://127.0.0.1:{self.port}/metrics") as r:
            text = await r.text()
        return sum(
            s.value
            for f in text_string_to_metric_families(text)
            if f.name == "quotameter_hourly_cost"
            for s in f.samples
        )

    async def stop(self, sig: int) -> float:
        """Send a signal, wait for the end; returns the moment the signal was sent."""
        assert self.proc is not None
        sent = time.monotonic()
        self.proc.send_signal(sig)
        await asyncio.wait_for(self.proc.wait(), 30)
        return sent
