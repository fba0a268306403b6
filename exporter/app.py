"""Wiring: the one place that puts the informers, the state, the collectors and
the HTTP server together (and, for the demo, the simulated cluster)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporter import __version__
from exporter.kube.client import KubeClient
from exporter.kube.config import ApiConfig, load_config, static_config
from exporter.kube.informer import InformerOptions, run_informers, supervise
from exporter.kube.metricspoll import UsagePoller
from exporter.kube.resources import RESOURCES
from exporter.logconfig import configure_logging
from exporter.metrics.collector import register_collectors
from exporter.metrics.exposition import TextExposition
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.summary import summary
from exporter.model.usage import UsageTable
from exporter.settings import Settings
from exporter.web import build_app


@dataclass
class Daemon:
    """Everything one running quotameter holds; built by `build_daemon`."""

    settings: Settings
    health: InformerHealth
    state: ClusterState
    usage: UsageTable
    registry: CollectorRegistry
    app: web.Application


def build_daemon(settings: Settings) -> Daemon:
    """Create the state, collectors and web app; nothing runs yet."""
    health = InformerHealth()
    health.register(RESOURCES)
    state = ClusterState(health=health)
    usage = UsageTable(health=health)
    registry = CollectorRegistry(auto_describe=False)
    register_collectors(registry, state=state, health=health, version=__version__, usage=usage)
    text = TextExposition(state=state, health=health, version=__version__, usage=usage)
    token = settings.api_token.get_secret_value() if settings.api_token else None
    app = build_app(
        registry=registry,
        text=text.render,
        health=health,
        summary=lambda: summary(state.snapshot(), usage=usage, rejections=state.rejections),
        api_token=token,
    )
    return Daemon(settings, health, state, usage, registry, app)


async def serve(
    daemon: Daemon,
    api: ApiConfig,
    *,
    stop: asyncio.Event,
    on_started: Callable[[int], None] | None = None,
) -> None:
    """Serve HTTP and run the informers and the usage poller until `stop` is set;
    `on_started` gets the bound port once the server listens."""
    settings, log = daemon.settings, structlog.get_logger("quotameter")
    options = InformerOptions(
        page_size=settings.page_size,
        watch_timeout=settings.watch_timeout_seconds,
        inactivity_timeout=settings.inactivity_timeout_seconds,
    )
    async with AsyncExitStack() as stack:
        kube = await stack.enter_async_context(KubeClient(api, health=daemon.health))
        runner = web.AppRunner(daemon.app, access_log=None, shutdown_timeout=2)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, settings.host, settings.port).start()
        poller = UsagePoller(
            kube, table=daemon.usage, health=daemon.health, interval=settings.metrics_poll_seconds
        )
        tasks = [
            asyncio.create_task(
                run_informers(kube, sink=daemon.state, health=daemon.health, options=options),
                name="informers",
            ),
            asyncio.create_task(supervise("usage", poller.run, health=daemon.health), name="usage"),
        ]
        log.info("daemon.started", port=bound_port(runner), api=api.server)
        if on_started is not None:
            on_started(bound_port(runner))
        await stop.wait()
        log.info("daemon.stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def bound_port(runner: web.AppRunner) -> int:
    """The port the HTTP server listens on (useful when 0 asked for a free one)."""
    return runner.addresses[0][1]


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, for a graceful stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run(settings: Settings) -> int:
    """`quotameter run`: watch the cluster of the kubeconfig or the in-cluster account."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    api = await asyncio.to_thread(
        load_config, kubeconfig=settings.kubeconfig, context=settings.context
    )
    await serve(build_daemon(settings), api, stop=stop_on_signals())
    return 0


async def run_demo(
    settings: Settings, *, scenario: str, churn_seconds: float, seed: int, kubeconfig_out: Path
) -> int:
    """`quotameter demo`: the simulated cluster and the daemon in one process."""
    from exporter.sim.churn import Churn
    from exporter.sim.cluster import Cluster
    from exporter.sim.scenario import load_scenario
    from exporter.sim.server import SimServer

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    cluster = Cluster(seed=seed)
    load_scenario(cluster, scenario)
    sim = SimServer(cluster)
    await sim.start()
    kubeconfig_out.parent.mkdir(parents=True, exist_ok=True)
    sim.write_kubeconfig(kubeconfig_out)
    churn = (
        asyncio.create_task(Churn(cluster, seed=seed).run(interval=churn_seconds))
        if (churn_seconds > 0)
        else None
    )
    base = f"http://{_display_host(settings.host)}:{settings.port}"
    print(
        f"\nquotameter demo: simulated cluster ({scenario} scenario) at {sim.url}\n"
        f"  metrics:  {base}/metrics\n"
        f"  summary:  {base}/api/v1/summary\n"
        f"  kubectl --kubeconfig {kubeconfig_out} get resourcequota -A\n",
        flush=True,
    )
    try:
        await serve(build_daemon(settings), static_config(sim.url), stop=stop_on_signals())
    finally:
        if churn:
            churn.cancel()
            await asyncio.gather(churn, return_exceptions=True)
        await sim.stop()
    return 0


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
