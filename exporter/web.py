"""The HTTP server: /metrics, health, the JSON API, the chargeback CSV and the overview
page (aiohttp).

Handlers only read: the registry renders a snapshot, the summary comes from a
callable the app wires in, and the CSV is built off the event loop by the coroutine
the app wires in. Bad parameters get a 400 with a JSON error; a failure
nobody expected inside a route is a JSON 500, logged once as ``http.failed``
with the route and the error (the next request starts afresh).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from exporter.cost.csvout import ChargebackParamError, parse_group_by, parse_month
from exporter.cost.days import month_of
from exporter.cost.focuscsv import parse_format
from exporter.errors import LedgerError
from exporter.failures import contain
from exporter.ledger.advice import recommendation_json
from exporter.logconfig import Log
from exporter.metrics.exposition import CONTENT_TYPE
from exporter.model.health import InformerHealth
from exporter.model.rightsizing import (
    DEFAULT_HEADROOM,
    DEFAULT_WINDOW_DAYS,
    AdviceParamError,
    Recommendation,
    parse_headroom,
    parse_window_days,
)
from exporter.overview import CSP, render_overview

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# chargeback(month=..., group_by=..., fmt="csv" | "focus") -> the CSV's bytes
Chargeback = Callable[..., Awaitable[bytes]]
# recommendations(window_days=..., headroom=...) -> the advice for every current quota key
Recommendations = Callable[..., Awaitable[list[Recommendation]]]
OVERVIEW_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PROTECTED_PREFIXES = ("/api/", "/chargeback.csv")
PROTECTED_PATHS = ("/",)  # the overview page shows what the API does


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (named, or `*`, with q above 0)."""
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower().removeprefix("q=")
            try:
                return not params.strip() or float(quality) > 0
            except ValueError:
                return False
    return False


def json_response(body: object, *, status: int = 200) -> web.Response:
    """A JSON response encoded with orjson."""
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def json_error(status: int, message: str) -> web.Response:
    """The JSON error body every failing request gets."""
    return json_response({"error": message, "status": status}, status=status)


def _errors_middleware(log: Log) -> Middleware:
    """Every response is JSON when a route fails: aiohttp's own HTTP errors (404, 405)
    keep their status, the ledger failing is a 503, anything else a 500."""

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        with contain() as failure:
            try:
                return await handler(request)
            except web.HTTPException as e:
                if e.status < 400:
                    raise
                return json_error(e.status, e.reason)
            except LedgerError as e:
                log.error("http.ledger_failed", path=request.path, error=str(e))
                return json_error(503, f"the ledger cannot be used now: {e}")
        log.error("http.failed", method=request.method, path=request.path,
                  error=repr(failure.error), exc_info=failure.error)  # fmt: skip
        return json_error(500, "internal error (logged as http.failed)")

    return errors


def _auth_middleware(token: str | None) -> Middleware:
    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        protected = request.path in PROTECTED_PATHS or request.path.startswith(PROTECTED_PREFIXES)
        if token and protected:
            sent = request.headers.get("Authorization", "")
            # Constant-time comparison: the token must not leak through timing.
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return json_error(401, "missing or wrong bearer token")
        return await handler(request)

    return check


def build_app(
    *,
    registry: CollectorRegistry,
    text: Callable[[], bytes],
    health: InformerHealth,
    summary: Callable[[], dict[str, Any]],
    chargeback: Chargeback,
    recommendations: Recommendations,
    api_token: str | None = None,
    log: Log | None = None,
    cluster: str = "",
    text_gzip: Callable[[], bytes] | None = None,
) -> web.Application:
    """The aiohttp application with every route of the daemon. ``text`` renders
    /metrics in the text format, ``text_gzip`` the same compressed."""
    log = log if log is not None else structlog.get_logger("quotameter.web")

    async def metrics(request: web.Request) -> web.Response:
        accept = request.headers.get("Accept", "")
        if "application/openmetrics-text" in accept:
            encoder, content_type = choose_encoder(accept)
            return web.Response(body=encoder(registry), headers={"Content-Type": content_type})
        # The text format comes from a renderer that caches unchanged namespaces, and
        # their compressed pieces when asked for gzip (Prometheus always is).
        headers = {"Content-Type": CONTENT_TYPE, "Vary": "Accept-Encoding"}
        if text_gzip is not None and accepts_gzip(request.headers.get("Accept-Encoding", "")):
            return web.Response(body=text_gzip(), headers={**headers, "Content-Encoding": "gzip"})
        return web.Response(body=text(), headers=headers)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        unsynced, failing = sorted(health.unsynced_kinds()), health.failing_tasks()
        body = {"ready": not (unsynced or failing), "unsynced": unsynced, "failing": failing}
        return json_response(body, status=503 if (unsynced or failing) else 200)

    async def api_summary(request: web.Request) -> web.Response:
        return json_response(summary())

    async def chargeback_csv(request: web.Request) -> web.Response:
        month = request.query.get("month") or month_of(time.time())
        group_by = request.query.get("group_by")
        try:
            parse_month(month)
            parse_group_by(group_by)
            fmt = parse_format(request.query.get("format"), group_by=group_by)
        except ChargebackParamError as e:
            return json_error(400, str(e))
        body = await chargeback(month=month, group_by=group_by, fmt=fmt)
        name = f"{'focus' if fmt == 'focus' else 'chargeback'}-{month}.csv"
        return web.Response(
            body=body,
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def api_recommendations(request: web.Request) -> web.Response:
        try:
            window_days = parse_window_days(request.query.get("window_days", DEFAULT_WINDOW_DAYS))
            headroom = parse_headroom(request.query.get("headroom", DEFAULT_HEADROOM))
        except AdviceParamError as e:
            return json_error(400, str(e))
        advice = await recommendations(window_days=window_days, headroom=headroom)
        body = {
            "window_days": window_days,
            "headroom": headroom,
            "recommendations": [recommendation_json(a) for a in advice],
        }
        return json_response(body)

    async def overview(request: web.Request) -> web.Response:
        page = render_overview(summary(), cluster=cluster, now=time.time())
        return web.Response(text=page, content_type="text/html", headers=OVERVIEW_HEADERS)

    app = web.Application(middlewares=[_errors_middleware(log), _auth_middleware(api_token)])
    app.add_routes(
        [
            web.get("/metrics", metrics),
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            web.get("/api/v1/summary", api_summary),
            web.get("/api/v1/recommendations", api_recommendations),
            web.get("/chargeback.csv", chargeback_csv),
            web.get("/", overview),
        ]
    )
    return app
