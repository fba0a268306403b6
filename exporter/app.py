"""Wiring: the one place that puts the informers, the state, the collectors and
the HTTP server together. (`quotameter demo` adds the simulated cluster: cli/demo.py.)"""

from __future__ import annotations

import asyncio
import errno
import faulthandler
import os
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporter import __version__
from exporter.cost.feed import NotifyingUsageTable
from exporter.cost.pricing import Pricing, load_pricing
from exporter.errors import ConfigError
from exporter.kube.client import ClientLimits, KubeClient
from exporter.kube.config import ApiConfig, load_config
from exporter.kube.gctuning import freeze_after_lists
from exporter.kube.informer import InformerOptions, run_informers, supervise
from exporter.kube.metricspoll import UsagePoller
from exporter.kube.resources import RESOURCES
from exporter.ledger.meter import CostMeter
from exporter.logconfig import configure_logging, parse_error_logger
from exporter.metrics.collector import register_collectors
from exporter.metrics.exposition import TextExposition
from exporter.model.costview import CostView
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.summary import summary, with_costs
from exporter.model.teams import TeamRules
from exporter.model.usage import UsageTable
from exporter.settings import Settings
from exporter.web import build_app

MIN_COST_REFRESH_SECONDS = 1.0  # the cost view is rebuilt at most this often


@dataclass
class Daemon:
    """Everything one running quotameter holds; built by `build_daemon`."""

    settings: Settings
    health: InformerHealth
    state: ClusterState
    usage: UsageTable
    meter: CostMeter
    registry: CollectorRegistry
    app: web.Application
    text: TextExposition


def build_daemon(settings: Settings) -> Daemon:
    """Create the state, cost meter, collectors and web app; nothing runs yet.
    Raises ConfigError for a bad pricing file and LedgerError for a refused ledger."""
    pricing = load_pricing(settings.pricing_file)
    health = InformerHealth(on_parse_error=parse_error_logger())
    health.register(RESOURCES)
    state = ClusterState(health=health, rules=_team_rules(pricing))
    usage = NotifyingUsageTable(health=health)
    meter = CostMeter(state=state, usage=usage, pricing=pricing, ledger_path=settings.ledger_path)
    registry = CollectorRegistry(auto_describe=False)

    def cost() -> CostView:
        return meter.latest

    register_collectors(
        registry, state=state, health=health, version=__version__, usage=usage, cost=cost
    )
    text = TextExposition(state=state, health=health, version=__version__, usage=usage, cost=cost)
    token = settings.api_token.get_secret_value() if settings.api_token else None
    app = build_app(
        registry=registry,
        text=text.render,
        text_gzip=text.render_gzip,
        health=health,
        summary=lambda: with_costs(
            summary(state.snapshot(), usage=usage, rejections=state.rejections), meter.latest
        ),
        chargeback=partial(meter.chargeback_csv, cluster=settings.cluster_name),
        recommendations=meter.recommendations,
        api_token=token,
        cluster=settings.cluster_name,
    )
    return Daemon(settings, health, state, usage, meter, registry, app, text)


def _team_rules(pricing: Pricing) -> TeamRules:
    try:
        return pricing.team_rules()
    except ValueError as e:  # a rule the pricing file's schema let through
        raise ConfigError(f"pricing file: {e}", field="pricing.teams.rules") from e


def client_limits(settings: Settings) -> ClientLimits:
    """The API client's timeouts and size limits from the settings."""
    return ClientLimits(
        connect_timeout=settings.api_connect_timeout_seconds,
        first_byte_timeout=settings.api_first_byte_timeout_seconds,
        max_line_bytes=settings.max_watch_line_bytes,
        max_body_bytes=settings.max_list_body_bytes,
    )


async def _listen(runner: web.AppRunner, settings: Settings) -> None:
    """Start the HTTP server; a host or port that cannot be bound is a ConfigError."""
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as e:
        field = "port" if e.errno in (errno.EADDRINUSE, errno.EACCES) else "host"
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port}: {e.strerror or e}",
            field=field,
            value=getattr(settings, field),
        ) from e


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
        runner = web.AppRunner(daemon.app, access_log=None, shutdown_timeout=2)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await _listen(runner, settings)
        kube = await stack.enter_async_context(
            KubeClient(api, health=daemon.health, limits=client_limits(settings))
        )

        meter = daemon.meter

        def flusher() -> Awaitable[None]:
            return meter.run_flusher(settings.ledger_flush_seconds)

        async def accounting() -> None:
            # The cost view and its text are built here, so that scrapes only read: a
            # second or so after a change, and every cost_refresh_seconds regardless;
            # never more than a quarter of the loop's time, however big the cluster.
            while True:
                began = time.monotonic()
                view = await meter.tick()
                await asyncio.to_thread(daemon.text.render_cost, view)
                pause = max(MIN_COST_REFRESH_SECONDS, 3 * (time.monotonic() - began))
                await asyncio.sleep(pause)
                await meter.until_changed(settings.cost_refresh_seconds - pause)

        poller = UsagePoller(
            kube, table=daemon.usage, health=daemon.health, interval=settings.metrics_poll_seconds
        )
        tasks = [
            asyncio.create_task(
                run_informers(kube, sink=daemon.state, health=daemon.health, options=options),
                name="informers",
            ),
            asyncio.create_task(supervise("usage", poller.run, health=daemon.health), name="usage"),
            asyncio.create_task(supervise("ledger", flusher, health=daemon.health), name="ledger"),
            asyncio.create_task(
                supervise("accounting", accounting, health=daemon.health), name="accounting"
            ),
        ]
        log.info("daemon.started", port=bound_port(runner), api=api.server)
        if on_started is not None:
            on_started(bound_port(runner))
        await stop.wait()
        log.info("daemon.stopping")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await meter.aclose()  # the last flush: a graceful stop loses nothing
        log.info("daemon.stopped", ledger=str(settings.ledger_path))


def bound_port(runner: web.AppRunner) -> int:
    """The port the HTTP server listens on (useful when 0 asked for a free one)."""
    return runner.addresses[0][1]  # type: ignore[no-any-return]  # aiohttp: list[Any]


# A stop that takes longer than this is a bug: say what still runs, then give up below
# Kubernetes' default 30 s grace period, so the kill never comes unexplained.
STOP_REPORT_SECONDS = 10.0
STOP_DEADLINE_SECONDS = 25.0


def stop_on_signals(
    *, report_after: float = STOP_REPORT_SECONDS, deadline: float = STOP_DEADLINE_SECONDS
) -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, for a graceful stop, which is bounded: after
    ``report_after`` s the tasks still pending are logged with where they wait; after
    ``deadline`` s every thread's stack goes to stderr and the process exits 1. A second
    signal does that at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    log = structlog.get_logger("quotameter")

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.error("daemon.stop_forced", signal=sig.name)
            faulthandler.dump_traceback(all_threads=True)
            os._exit(1)
        stop.set()
        faulthandler.dump_traceback_later(deadline, exit=True)
        loop.call_later(report_after, lambda: log.warning("daemon.stop_slow", pending=pending()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    return stop


def pending() -> list[str]:
    """The event loop's other tasks, each as 'name at file:line' of where it waits."""
    described = []
    for task in asyncio.all_tasks():
        frames = task.get_stack()
        where = f"{frames[-1].f_code.co_filename}:{frames[-1].f_lineno}" if frames else "?"
        described.append(f"{task.get_name()} at {where}")
    return sorted(described)


async def run(settings: Settings) -> int:
    """`quotameter run`: watch the cluster of the kubeconfig or the in-cluster account."""
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    freeze_after_lists()
    daemon = build_daemon(settings)  # local files first: a bad pricing file fails fast
    api = await asyncio.to_thread(
        load_config, kubeconfig=settings.kubeconfig, context=settings.context
    )
    await serve(daemon, api, stop=stop_on_signals())
    return 0


EXAMPLE_PRICING = Path(__file__).parent / "cost" / "example-pricing.yaml"
