"""A small client of the Prometheus HTTP query API (Prometheus, Thanos, Mimir).

Only instant queries (`GET /api/v1/query`) are needed by fleet chargeback.
Every failure becomes a `PrometheusError` whose message names the URL and the
query, so an operator can paste the query into the Prometheus UI:
unreachable (connection, DNS, timeout), not a Prometheus API (HTML, a proxy
login page, a 404 of a wrong path prefix), and PromQL errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from exporter.errors import QuotameterError

_SNIPPET = 200  # characters of an unexpected body quoted in errors


class PrometheusError(QuotameterError):
    """The Prometheus-compatible API could not answer a query; names `url` and `query`."""

    def __init__(self, message: str, *, url: str, query: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.query = query


class PrometheusUnreachable(PrometheusError):
    """No HTTP answer: connection refused, unknown host, TLS failure or timeout."""


class NotPrometheus(PrometheusError):
    """An HTTP answer that is not the Prometheus API's JSON envelope."""


class PromQLError(PrometheusError):
    """The API answered `status: error` (bad query, timeout, too many samples)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One element of an instant vector."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Answer:
    """An instant query's samples and the warnings (e.g. Thanos partial responses)."""

    samples: list[Sample]
    warnings: list[str]


def api_base(url: str) -> URL:
    """The base URL checked: http(s) with a host; a path prefix (Mimir's /prometheus) is kept."""
    try:
        base = URL(url.rstrip("/"))
    except (TypeError, ValueError) as e:
        raise PrometheusUnreachable(f"--prometheus: {url!r} is not a URL: {e}", url=url) from e
    if base.scheme not in ("http", "https") or not base.host:
        raise PrometheusUnreachable(
            f"--prometheus: expected an http:// or https:// URL, got {url!r}", url=url
        )
    return base


class PrometheusAPI:
    """Instant queries against one Prometheus-compatible endpoint over a given session."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url
        self._endpoint = api_base(url) / "api" / "v1" / "query"
        self._session = session
        # Thanos/Mimir need e.g. X-Scope-OrgID or an Authorization header.
        self._headers = dict(headers or {})
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def instant(self, query: str, *, at: float) -> Answer:
        """Evaluate `query` at Unix time `at`; the result must be an instant vector."""
        params = {"query": query, "time": _timestamp(at)}
        try:
            async with self._session.get(
                self._endpoint, params=params, headers=self._headers, timeout=self._timeout
            ) as response:
                body = await response.read()
                status, content_type = response.status, response.content_type
        except (aiohttp.ClientError, TimeoutError) as e:
            raise PrometheusUnreachable(
                f"cannot reach Prometheus at {self.url}: {_describe(e)} (query: {query})",
                url=self.url,
                query=query,
            ) from e
        envelope = self._envelope(body, status=status, content_type=content_type, query=query)
        return self._answer(envelope, query=query)

    def _envelope(
        self, body: bytes, *, status: int, content_type: str, query: str
    ) -> dict[str, Any]:
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            envelope = None
        if not isinstance(envelope, dict) or envelope.get("status") not in ("success", "error"):
            snippet = body[:_SNIPPET].decode("utf-8", "replace")
            raise NotPrometheus(
                f"{self.url} did not answer like a Prometheus API "
                f"(HTTP {status}, {content_type or 'no content type'}: {snippet!r}) "
                f"to GET {self._endpoint.path} (query: {query})",
                url=self.url,
                query=query,
            )
        if envelope["status"] == "error":
            raise PromQLError(
                f"Prometheus at {self.url} rejected the query (HTTP {status}, "
                f"{envelope.get('errorType', 'error')}: {envelope.get('error', '')}): {query}",
                url=self.url,
                query=query,
            )
        return envelope

    def _answer(self, envelope: dict[str, Any], *, query: str) -> Answer:
        data = envelope.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "vector":
            kind = data.get("resultType") if isinstance(data, dict) else type(data).__name__
            raise NotPrometheus(
                f"{self.url} answered a {kind!r} result, expected an instant vector "
                f"(query: {query})",
                url=self.url,
                query=query,
            )
        try:
            samples = [_sample(item) for item in data.get("result") or []]
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise NotPrometheus(
                f"{self.url} answered a malformed vector ({e!r}) (query: {query})",
                url=self.url,
                query=query,
            ) from e
        warnings = [str(w) for w in envelope.get("warnings") or []]
        return Answer(samples=[s for s in samples if not math.isnan(s.value)], warnings=warnings)


def _sample(item: dict[str, Any]) -> Sample:
    labels = item.get("metric") or {}
    return Sample(labels={str(k): str(v) for k, v in labels.items()}, value=float(item["value"][1]))


def _timestamp(at: float) -> str:
    # Prometheus accepts fractional Unix seconds; three decimals keep milliseconds.
    return f"{at:.3f}"


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__
