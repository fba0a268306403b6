"""A real Prometheus server for end-to-end tests: the `prometheus` binary (Debian package)
on a free loopback port with its own storage, scraping the given targets.

    async with PromServer(tmp_path, [ScrapeTarget("127.0.0.1:9184", {"cluster": "a"})]) as prom:
        await prom.wait_scrapes(5)
        series = await prom.query('quotameter_quota_hard{namespace="dev"}')

Everything waits by polling Prometheus' HTTP API, with a deadline, never a bare sleep.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import yaml

JOB = "quotameter"


def free_port() -> int:
    """A TCP port free on loopback right now (another process may still take it first)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prometheus_binary() -> str | None:
    """The path of `prometheus`, or None when it is not installed."""
    return shutil.which("prometheus")


@dataclass(frozen=True)
class ScrapeTarget:
    """One endpoint to scrape; `labels` become target labels (for example `cluster`)."""

    address: str  # host:port
    labels: Mapping[str, str] = field(default_factory=dict)


class PromQueryError(RuntimeError):
    """Prometheus answered a query with an error (bad expression, timeout, ...)."""


class PromServer:
    """A prometheus process; use as an async context manager, or `start()` and `stop()`."""

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval: str = "1s",
        job: str = JOB,
        binary: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.targets = tuple(targets)
        self.scrape_interval = scrape_interval
        self.job = job
        self.binary = binary or prometheus_binary() or "prometheus"
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def log_path(self) -> Path:
        """Where Prometheus' own log goes (read it when a test fails)."""
        return self.workdir / "prometheus.log"

    def config(self) -> dict[str, Any]:
        """The prometheus.yml contents: one job, one static config per target."""
        interval = self.scrape_interval
        return {
            "global": {"scrape_interval": interval, "scrape_timeout": interval},
            "scrape_configs": [
                {
                    "job_name": self.job,
                    "static_configs": [
                        {"targets": [t.address], "labels": dict(t.labels)} for t in self.targets
                    ],
                }
            ],
        }

    async def start(self, within: float = 20) -> None:
        """Start Prometheus and wait until it answers /-/ready (a lost port race is retried)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.config()), encoding="utf-8")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        for _attempt in range(3):
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            await self._spawn(config, port)
            if await self._ready(within):
                return
            await self._reap()
        raise RuntimeError(f"prometheus did not start; its log:\n{self._log_tail()}")

    async def _spawn(self, config: Path, port: int) -> None:
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                self.binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    async def _ready(self, within: float) -> bool:
        """True once /-/ready answers 200; False when the process died (port taken)."""
        assert self._process is not None
        assert self._session is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                return False
            try:
                async with self._session.get(f"{self.url}/-/ready") as r:
                    if r.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError(f"prometheus not ready after {within}s; log:\n{self._log_tail()}")

    async def _reap(self) -> None:
        if self._process is None:
            return
        if self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        self._process = None

    async def stop(self) -> None:
        """Stop Prometheus (SIGTERM, then SIGKILL after 10 s) and close the HTTP session."""
        await self._reap()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def api(self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> Any:
        """GET /api/v1/<path>; the `data` of a success, else PromQueryError."""
        assert self._session is not None, "PromServer not started"
        async with self._session.get(f"{self.url}/api/v1/{path}", params=params) as r:
            body = await r.json()
        if body.get("status") != "success":
            raise PromQueryError(f"{path} {dict(params)}: {body.get('error', body)}")
        return body["data"]

    async def query(self, expr: str, *, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's result list (vector: [{metric, value}], scalars wrapped)."""
        params = {"query": expr, **({"time": at} if at is not None else {})}
        data = await self.api("query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    async def query_range(
        self, expr: str, *, seconds: float, step: float = 1
    ) -> list[dict[str, Any]]:
        """A range query over the last `seconds`: [{metric, values}]."""
        end = time.time()
        params = {"query": expr, "start": end - seconds, "end": end, "step": step}
        return (await self.api("query_range", params))["result"]

    async def label_values(self, label: str, match: str) -> list[str]:
        """The values of `label` on series matching the selector `match`."""
        return await self.api(f"label/{label}/values", [("match[]", match)])

    async def wait_scrapes(self, count: int, *, within: float = 30) -> None:
        """Until every target is up and has been scraped at least `count` times."""
        job = f'up{{job="{self.job}"}}'
        deadline = time.monotonic() + within
        while True:
            up = await self.query(f"{job} == 1")
            scrapes = await self.query(f"count_over_time({job}[1h])")
            done = [s for s in scrapes if float(s["value"][1]) >= count]
            if len(up) == len(self.targets) and len(done) == len(self.targets):
                return
            if time.monotonic() > deadline:
                targets = await self.api("targets", {"state": "active"})
                raise TimeoutError(f"{count} scrapes not reached in {within}s: {targets}")
            await asyncio.sleep(0.2)
