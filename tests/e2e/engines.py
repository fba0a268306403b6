"""The Prometheus-compatible engines fleet mode is proved on, each over a list of scrape
targets and each a `QueryAPI` whose `url` is what `quotameter chargeback --prometheus`
is pointed at:

- `PromServer` (promserver.py): one Prometheus scraping every target;
- `VictoriaMetricsFleet`: one Prometheus per target, each remote-writing to one
  VictoriaMetrics (Debian's `victoria-metrics`), which answers the queries;
- `ThanosFleet`: one Prometheus per target, each with a Thanos sidecar, behind Thanos
  Query (the `thanos` binary built by cluster/build.sh).

    async with VictoriaMetricsFleet(workdir, targets, scrape_interval="1s") as api:
        await api.wait_scrapes(5)
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from tests.e2e.promserver import PromServer, QueryAPI, ScrapeTarget, ServedProcess, free_port


class _PerTargetFleet(QueryAPI):
    """One Prometheus per target, and the server that answers queries over all of them."""

    def __init__(
        self, workdir: Path, targets: Sequence[ScrapeTarget], *, scrape_interval: str
    ) -> None:
        super().__init__(targets=len(targets))
        self.workdir = workdir
        self.targets = tuple(targets)
        self.scrape_interval = scrape_interval
        self.servers: list[PromServer | ServedProcess] = []  # in start order

    async def _run(self, server: PromServer | ServedProcess) -> None:
        self.servers.append(server)
        await server.start()

    async def stop(self) -> None:
        for server in reversed(self.servers):
            await server.stop()
        self.servers.clear()
        await self.close()

    def logs(self) -> str:
        """The last lines of every server's log, for a failing test's message."""
        return "\n".join(f"--- {s.log_path}\n{s.log_tail()}" for s in self.servers)


class VictoriaMetricsFleet(_PerTargetFleet):
    """Prometheus servers remote-writing to one single-node VictoriaMetrics."""

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval: str,
        binary: str | None = None,
    ) -> None:
        super().__init__(workdir, targets, scrape_interval=scrape_interval)
        self.binary = binary or shutil.which("victoria-metrics") or "victoria-metrics"

    def _argv(self, port: int) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={self.workdir / 'victoria-metrics'}",
            # Samples are queryable at once (by default only after 30 s), and no answer
            # comes from its cache: the test asks about the last seconds, again and again.
            "-search.latencyOffset=0s",
            "-search.disableCache",
            "-loggerLevel=WARN",
        ]

    async def start(self) -> None:
        log = self.workdir / "victoria-metrics.log"
        vm = ServedProcess("victoria-metrics", self._argv, log_path=log, ready_path="/health")
        await self._run(vm)
        self.url = vm.url
        for i, target in enumerate(self.targets):
            prom = PromServer(
                self.workdir / f"prometheus-{i}",
                [target],
                scrape_interval=self.scrape_interval,
                remote_write=f"{vm.url}/api/v1/write",
            )
            await self._run(prom)
        self.open()


class ThanosFleet(_PerTargetFleet):
    """Prometheus servers with Thanos sidecars, queried through Thanos Query."""

    def __init__(
        self,
        workdir: Path,
        targets: Sequence[ScrapeTarget],
        *,
        scrape_interval: str,
        binary: Path,
    ) -> None:
        super().__init__(workdir, targets, scrape_interval=scrape_interval)
        self.binary = str(binary)
        self.store_addresses: list[str] = []  # the sidecars' gRPC StoreAPI

    def _sidecar_argv(self, prom: PromServer) -> list[str]:
        grpc = f"127.0.0.1:{free_port()}"
        self.store_addresses.append(grpc)
        return [
            self.binary, "sidecar",
            f"--prometheus.url={prom.url}",
            f"--tsdb.path={prom.data}",
            f"--grpc-address={grpc}",
            "--log.level=warn",
        ]  # fmt: skip

    async def start(self) -> None:
        for i, target in enumerate(self.targets):
            workdir = self.workdir / f"prometheus-{i}"
            prom = PromServer(
                workdir,
                [target],
                scrape_interval=self.scrape_interval,
                external_labels={"prometheus": f"prometheus-{i}"},  # the sidecar needs one
            )
            await self._run(prom)
            base = self._sidecar_argv(prom)
            sidecar = ServedProcess(
                f"thanos sidecar {i}",
                partial(_with_http_address, base),
                log_path=workdir / "sidecar.log",
            )
            await self._run(sidecar)
        query = ServedProcess("thanos query", self._query_argv, log_path=self.workdir / "query.log")
        await self._run(query)
        self.url = query.url
        self.open()

    def _query_argv(self, port: int) -> list[str]:
        return [
            self.binary, "query",
            f"--http-address=127.0.0.1:{port}",
            f"--grpc-address=127.0.0.1:{free_port()}",
            *(f"--endpoint={address}" for address in self.store_addresses),
            "--log.level=warn",
        ]  # fmt: skip


def _with_http_address(argv: list[str], port: int) -> list[str]:
    return [*argv, f"--http-address=127.0.0.1:{port}"]
