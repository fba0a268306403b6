"""structlog setup: JSON lines by default, readable console output on a TTY.

Libraries log through the standard ``logging`` module (aiohttp's server, the
kubernetes package's exec-plugin loader); a bridge turns each of their records into
one structlog event without its traceback, at most once per ``min_interval`` for
records of one logger and message, so an unauthenticated client sending malformed
requests cannot fill the log.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from exporter.model.health import ParseProblem

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
# What a library's record becomes; others are "library.log".
_LIBRARY_EVENTS = {"aiohttp.server": "http.bad_request"}
_REMEMBERED = 4096  # distinct keys a rate limiter or once-only log keeps, then forgets


class Log(Protocol):
    """What quotameter calls on a logger: structlog's bound loggers, or a test's recorder."""

    def debug(self, event: str, **fields: object) -> object: ...
    def info(self, event: str, **fields: object) -> object: ...
    def warning(self, event: str, **fields: object) -> object: ...
    def error(self, event: str, **fields: object) -> object: ...


class LevelLog(Protocol):
    """What a LibraryBridge calls: a log call at a logging level."""

    def log(self, level: int, event: str, **fields: object) -> object: ...


def configure_logging(*, level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog once for the process; `fmt` is json, console or auto."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.ERROR)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    bridge_library_logging()


class LibraryBridge(logging.Handler):
    """A logging handler that writes each record as one rate-limited structlog event."""

    def __init__(
        self,
        *,
        log: LevelLog | None = None,
        min_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(level=logging.WARNING)
        self._log = log
        self._min_interval, self._clock = min_interval, clock
        self._last: dict[tuple[str, str], tuple[float, int]] = {}  # -> (logged at, dropped)

    def emit(self, record: logging.LogRecord) -> None:
        """Log the record as an event, or count it as dropped within the interval."""
        key, now = (record.name, str(record.msg)), self._clock()
        logged_at, dropped = self._last.get(key, (-float("inf"), 0))
        if now - logged_at < self._min_interval:
            self._last[key] = (logged_at, dropped + 1)
            return
        if len(self._last) >= _REMEMBERED:
            self._last.clear()
        self._last[key] = (now, 0)
        fields: dict[str, object] = {"logger": record.name, "message": record.getMessage()}
        if record.exc_info and record.exc_info[1] is not None:
            fields["error"] = repr(record.exc_info[1])  # one line: no traceback
        if dropped:
            fields["suppressed"] = dropped  # like records in the interval before this one
        log = self._log if self._log is not None else structlog.get_logger("quotameter.lib")
        event = _LIBRARY_EVENTS.get(record.name, "library.log")
        log.log(record.levelno, event, **fields)


def bridge_library_logging(bridge: logging.Handler | None = None) -> logging.Handler:
    """Route every standard-library log record through ``bridge`` (a LibraryBridge)."""
    bridge = bridge if bridge is not None else LibraryBridge()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, LibraryBridge):
            root.removeHandler(handler)
    root.addHandler(bridge)
    root.setLevel(logging.WARNING)
    return bridge


def parse_error_logger(log: Log | None = None) -> Callable[[ParseProblem], None]:
    """A listener for InformerHealth.on_parse_error that logs each refused object once
    (per kind, namespace, name and reason), however often it is sent again."""
    seen: set[ParseProblem] = set()

    def report(problem: ParseProblem) -> None:
        if problem in seen:
            return
        if len(seen) >= _REMEMBERED:
            seen.clear()
        seen.add(problem)
        logger = log if log is not None else structlog.get_logger("quotameter.decode")
        logger.warning("object.skipped", kind=problem.kind, namespace=problem.namespace,
                       name=problem.name, reason=problem.reason)  # fmt: skip

    return report
