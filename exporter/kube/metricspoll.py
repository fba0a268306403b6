"""Pod usage from metrics.k8s.io, sampled by LIST every `interval` seconds.

metrics-server serves no WATCH, so this is a poll loop, not an informer. Each LIST is
one request without `limit`: metrics-server builds the whole PodMetricsList in memory
and ignores `limit` and `continue` (its REST storage reads only the label and field
selectors), so asking for pages would only pretend to bound the response.

The metrics API is optional. When it is missing (404: no APIService registered),
forbidden (401/403), failing (5xx, 503 while metrics-server is down) or throttling
(429), the table is cleared, `up` goes False and the loop retries with jittered
exponential backoff, honouring Retry-After; the informers and everything else go on.
"""

from __future__ import annotations

import structlog

from exporter.errors import KubeAPIError, NotFound, ServerError, TooManyRequests, Unauthorized
from exporter.kube.backoff import Backoff, Retry
from exporter.kube.client import KubeClient
from exporter.kube.informer import Timing
from exporter.kube.resources import POD_METRICS_PATH
from exporter.logconfig import Log
from exporter.model.bodies import PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.usage import KIND, UsageTable

DEFAULT_INTERVAL = 30.0  # metrics-server scrapes kubelets every 15 s by default; half that rate
# Slow enough to spare an API server whose metrics group is absent for good, fast enough
# to notice within a few minutes that someone installed metrics-server.
DEFAULT_BACKOFF = Backoff(base=1.0, cap=120.0, reset_after=60.0)


class UsagePoller:
    """Keeps a UsageTable filled with the latest PodMetrics sample, forever."""

    def __init__(
        self,
        client: KubeClient,
        *,
        table: UsageTable,
        health: InformerHealth,
        interval: float = DEFAULT_INTERVAL,
        backoff: Backoff = DEFAULT_BACKOFF,
        path: str = POD_METRICS_PATH,
        timing: Timing | None = None,
        log: Log | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval!r}")
        self.client, self.table, self.health = client, table, health
        self.interval, self.backoff, self.path = interval, backoff, path
        self.timing = timing or Timing()
        self.log: Log = log if log is not None else structlog.get_logger("quotameter.usage")
        self._retry = self._new_retry()
        self._down_reason: str | None = None  # why the API is down; None while up or unknown
        self._polled = False  # whether any poll has finished, to log the first state

    @property
    def up(self) -> bool:
        """Whether the last poll succeeded: the value of quotameter_metrics_api_up."""
        return self.table.up

    async def run(self) -> None:
        """Poll, wait, poll again, forever; only cancellation (or a bug) ends it."""
        while True:
            delay = await self.poll()
            if delay > 0:
                await self.timing.sleep(delay)

    async def poll(self) -> float:
        """One LIST into the table, or clear it on an API error; returns the seconds to
        wait before the next poll."""
        started = self.timing.clock()
        try:
            items = await self._list()
        except KubeAPIError as e:
            return self._failed(e)
        skipped = self.table.replace(items, timestamp=self.timing.wall_clock())
        self._succeeded(pods=len(items) - skipped, skipped=skipped)
        # The interval runs from the start of one LIST to the next, however long it took.
        return max(0.0, self.interval - (self.timing.clock() - started))

    async def _list(self) -> list[PodMetrics]:
        body = await self.client.get_json(self.path, kind=KIND)
        items = body.get("items")
        if items is None:
            return []  # an empty list is served as "items": null
        if not isinstance(items, list):
            raise self.client.fail(KIND, ServerError(f"LIST {self.path}: not a list body"))
        return items

    def _succeeded(self, *, pods: int, skipped: int) -> None:
        if self._down_reason is not None or not self._polled:
            self.log.info("usage.available", path=self.path, pods=pods, skipped=skipped)
            self._retry = self._new_retry()  # back to the normal interval, and a fresh start
        self._down_reason, self._polled = None, True

    def _failed(self, error: KubeAPIError) -> float:
        self.table.clear()  # stale usage must not be exported as current
        delay = self._retry.delay(error)
        reason = _reason(error)
        if reason != self._down_reason:  # went down, or down for another reason
            self.log.warning(
                "usage.unavailable", path=self.path, reason=reason, code=error.code,
                error=str(error), retry_in=round(delay, 3),
            )  # fmt: skip
        self._down_reason, self._polled = reason, True
        return delay

    def _new_retry(self) -> Retry:
        return Retry(self.backoff, clock=self.timing.clock, rng=self.timing.rng)


def _reason(error: KubeAPIError) -> str:
    """A short reason label: why usage is unavailable."""
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "error"


_REASONS = (
    (NotFound, "not_registered"),  # no APIService for metrics.k8s.io: metrics-server missing
    (Unauthorized, "unauthorized"),
    (TooManyRequests, "throttled"),
    (ServerError, "server_error"),  # 503 while metrics-server is down, or no connection
)
