"""A tiny terminal progress bar for long chargeback runs (no dependency).

It draws on stderr only when stderr is a terminal, and only once a run has
lasted `delay` seconds, so quick runs, pipes and CI logs stay clean. The
chargeback and fleet code take any object with `start`/`advance`/`finish`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO


class Progress(Protocol):
    """What long-running chargeback code reports to."""

    def start(self, total: int, *, label: str) -> None:
        """Begin a run of `total` steps."""

    def advance(self, steps: int = 1) -> None:
        """`steps` more steps are done."""

    def finish(self) -> None:
        """The run is over (also after an error)."""


class NoProgress:
    """Reports nowhere: the default."""

    def start(self, total: int, *, label: str) -> None:
        """Ignore."""

    def advance(self, steps: int = 1) -> None:
        """Ignore."""

    def finish(self) -> None:
        """Ignore."""


class TerminalProgress:
    """`label [#######-------] 12/30` redrawn in place on a terminal stream."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        delay: float = 0.5,
        interval: float = 0.1,
        width: int = 30,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        # Not a terminal: a bar made of carriage returns would garble a log file.
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._delay, self._interval, self._width, self._clock = delay, interval, width, clock
        self._total, self._done, self._label = 0, 0, ""
        self._started = self._last_draw = 0.0
        self._drawn = 0  # length of the line on screen, to blank it at the end

    def start(self, total: int, *, label: str) -> None:
        """Begin a run of `total` steps called `label`."""
        self._total, self._done, self._label = max(total, 0), 0, label
        self._started = self._clock()
        self._last_draw = float("-inf")

    def advance(self, steps: int = 1) -> None:
        """Count `steps` more and redraw at most every `interval` seconds."""
        self._done = min(self._done + steps, self._total) if self._total else self._done + steps
        now = self._clock()
        if not self._enabled or now - self._started < self._delay:
            return
        if now - self._last_draw >= self._interval or self._done == self._total:
            self._last_draw = now
            self._draw(self.render())

    def finish(self) -> None:
        """Blank the bar so later output starts on a clean line."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0

    def render(self) -> str:
        """The bar as text, without the carriage return."""
        if not self._total:
            return f"{self._label} {self._done}"
        filled = self._width * self._done // self._total
        bar = "#" * filled + "-" * (self._width - filled)
        return f"{self._label} [{bar}] {self._done}/{self._total}"

    def _draw(self, line: str) -> None:
        # Pad over a longer previous line instead of relying on ANSI erase codes.
        padding = " " * max(self._drawn - len(line), 0)
        self._stream.write("\r" + line + padding)
        self._stream.flush()
        self._drawn = len(line)
