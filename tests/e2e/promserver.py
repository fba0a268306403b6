"""A real Prometheus server for end-to-end tests: the `prometheus` binary (Debian package)
on a free loopback port with its own storage, scraping the given targets; and the pieces
the fleet engines (tests/e2e/engines.py) are built from: a server process on a free port,
and a client of the Prometheus query API.

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
from collections.abc import Callable, Mapping, Sequence
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


class ServedProcess:
    """A server binary on a free loopback port, with its log in `log_path`.

    `argv(port)` gives the command line for a port; `start()` waits until `ready_path`
    answers 200, and tries another port when the process dies first (a lost port race)."""

    def __init__(
        self, name: str, argv: Callable[[int], Sequence[str]], *, log_path: Path,
        ready_path: str = "/-/ready",
    ) -> None:  # fmt: skip
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.ready_path = ready_path
        self.port = 0
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, within: float = 30) -> None:
        """Start the process and wait until it is ready; RuntimeError with its log if not."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for _attempt in range(3):
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                with self.log_path.open("ab") as log:
                    self._process = await asyncio.create_subprocess_exec(
                        *self.argv(self.port),
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                    )
                if await self._ready(session, within):
                    return
                await self.stop()
        raise RuntimeError(f"{self.name} did not start; its log:\n{self.log_tail()}")

    async def _ready(self, session: aiohttp.ClientSession, within: float) -> bool:
        """True once ready_path answers 200; False when the process died."""
        assert self._process is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self._process.returncode is not None:
                return False
            try:
                async with session.get(f"{self.url}{self.ready_path}") as r:
                    if r.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {within}s; log:\n{self.log_tail()}")

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
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

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class QueryAPI:
    """A client of the Prometheus HTTP query API at `url` (Prometheus, Thanos Query,
    VictoriaMetrics), with waits that poll it; `open()` before use, `close()` after."""

    def __init__(self, url: str = "", *, targets: int, job: str = JOB) -> None:
        self.url = url
        self.targets_scraped = targets  # how many targets the job's `up` should show
        self.job = job
        self._session: aiohttp.ClientSession | None = None

    def open(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def start(self) -> None:
        """Start what serves the API (nothing here: `url` is given) and open the client."""
        self.open()

    async def stop(self) -> None:
        await self.close()

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

    async def api(self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> Any:
        """GET /api/v1/<path>; the `data` of a success, else PromQueryError."""
        assert self._session is not None, "QueryAPI not opened"
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

    async def wait_targets(self, *, within: float = 30) -> None:
        """Until every target's `up` series is seen (up or down)."""
        async with asyncio.timeout(within):
            while len(await self.query(f'up{{job="{self.job}"}}')) < self.targets_scraped:
                await asyncio.sleep(0.1)

    async def wait_scrapes(self, count: int, *, within: float = 30) -> None:
        """Until every target is up and was scraped at least `count` times."""
        job = f'up{{job="{self.job}"}}'
        deadline = time.monotonic() + within
        while True:
            up = await self.query(f"{job} == 1")
            scrapes = await self.query(f"count_over_time({job}[1h])")
            done = [s for s in scrapes if float(s["value"][1]) >= count]
            if len(up) == len(done) == self.targets_scraped:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} scrapes not reached in {within}s: {scrapes}")
            await asyncio.sleep(0.2)


class PromServer(QueryAPI):
    """A prometheus process; use as an async context manager, or `start()` and `stop()`.

    `external_labels` go into its global config (Thanos' sidecar requires some), and
    `remote_write` is a URL it sends every sample to (VictoriaMetrics' /api/v1/write)."""

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval: str = "1s",
        job: str = JOB,
        binary: str | None = None,
        external_labels: Mapping[str, str] | None = None,
        remote_write: str | None = None,
    ) -> None:
        super().__init__(targets=len(targets), job=job)
        self.workdir = workdir
        self.targets = tuple(targets)
        self.scrape_interval = scrape_interval
        self.binary = binary or prometheus_binary() or "prometheus"
        self.external_labels = dict(external_labels or {})
        self.remote_write = remote_write
        self.data = workdir / "data"
        self._process = ServedProcess("prometheus", self._argv, log_path=workdir / "prometheus.log")

    @property
    def log_path(self) -> Path:
        """Where Prometheus' own log goes (read it when a test fails)."""
        return self._process.log_path

    def log_tail(self, lines: int = 30) -> str:
        return self._process.log_tail(lines)

    def config(self) -> dict[str, Any]:
        """The prometheus.yml contents: one job, one static config per target."""
        interval = self.scrape_interval
        config: dict[str, Any] = {
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
        if self.external_labels:
            config["global"]["external_labels"] = self.external_labels
        if self.remote_write:
            # Sent within 100 ms of a scrape, so that a query soon after sees it.
            queue = {"batch_send_deadline": "100ms"}
            config["remote_write"] = [{"url": self.remote_write, "queue_config": queue}]
        return config

    def _argv(self, port: int) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ]

    async def start(self, within: float = 20) -> None:
        """Start Prometheus and wait until it answers /-/ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "prometheus.yml").write_text(yaml.safe_dump(self.config()), "utf-8")
        await self._process.start(within)
        self.url = self._process.url
        self.open()

    async def stop(self) -> None:
        """Stop Prometheus (SIGTERM, then SIGKILL after 10 s) and close the HTTP session."""
        await self._process.stop()
        await self.close()
