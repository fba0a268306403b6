"""Exponential backoff with full jitter, forgotten after a healthy period."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from exporter.errors import Gone


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of uniform(0, min(cap, base * 2**attempt)): full jitter keeps many clients
    that failed together from coming back together."""

    base: float = 0.5
    cap: float = 30.0
    reset_after: float = 60.0  # this long without a failure and the next one is attempt 0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The jittered delay before retry number `attempt` (0-based)."""
        return rng.uniform(0.0, min(self.cap, self.base * 2.0 ** min(attempt, 32)))


class Retry:
    """Tracks consecutive failures of one loop and says how long to wait after each."""

    def __init__(
        self,
        backoff: Backoff,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.backoff = backoff
        self.attempt = 0
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._resumed_at = -math.inf  # when the loop last went back to work after a wait

    def delay(self, error: BaseException) -> float:
        """Seconds to wait after `error`: Retry-After when it asks for more than the
        backoff, but never past the backoff's cap (a server asking for a day must not
        freeze an informer for a day); nothing for a first 410, whose remedy (a
        relist) is already slow."""
        now = self._clock()
        if now - self._resumed_at >= self.backoff.reset_after:
            self.attempt = 0
        attempt, self.attempt = self.attempt, self.attempt + 1
        if isinstance(error, Gone) and attempt == 0:
            delay = 0.0
        else:
            delay = self.backoff.delay(attempt, self._rng)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after > delay:
            delay = min(float(retry_after), self.backoff.cap)
        self._resumed_at = now + delay
        return delay
