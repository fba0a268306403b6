"""The terminal progress bar and the progress reports of the ledger path."""

from __future__ import annotations

import io

from exporter.cost.chargeback import Policy
from exporter.cost.progress import TerminalProgress
from exporter.cost.records import LedgerRow, Owner
from tests.cost.rowpath import chargeback_rows


class Clock:
    """Monotonic time that only moves when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recording:
    """A Progress that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def start(self, total: int, *, label: str) -> None:
        self.events.append(("start", total))

    def advance(self, steps: int = 1) -> None:
        self.events.append(("advance", steps))

    def finish(self) -> None:
        self.events.append(("finish", 0))


def test_bar_waits_for_the_delay_then_draws_in_place() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = TerminalProgress(stream, delay=0.5, interval=0.1, width=10, enabled=True, clock=clock)
    bar.start(4, label="days")
    bar.advance()
    assert stream.getvalue() == ""  # a quick run never shows a bar
    clock.now = 0.6
    bar.advance()
    assert stream.getvalue() == "\rdays [#####-----] 2/4"
    clock.now = 0.65
    bar.advance()  # within the redraw interval: not drawn
    assert stream.getvalue().count("\r") == 1
    bar.advance()  # the last step is always drawn
    assert stream.getvalue().endswith("\rdays [##########] 4/4")
    bar.finish()
    assert stream.getvalue().endswith("\r" + " " * len("days [##########] 4/4") + "\r")


def test_bar_stays_silent_off_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()  # StringIO.isatty() is False, as for a pipe
    bar = TerminalProgress(stream, delay=0.0, clock=clock)
    bar.start(2, label="queries")
    clock.now = 5.0
    bar.advance(2)
    bar.finish()
    assert stream.getvalue() == ""


def test_bar_without_a_total_counts() -> None:
    bar = TerminalProgress(io.StringIO(), enabled=True, clock=Clock())
    bar.start(0, label="rows")
    bar.advance(3)
    assert bar.render() == "rows 3"


def test_ledger_path_reports_rows_processed() -> None:
    ledger = [LedgerRow("2026-01-01", Owner(f"ns{i}", "t"), "cpu", 1.0, 0.01) for i in range(5)]
    progress = Recording()
    chargeback_rows(
        ledger,
        period="2026-01",
        cluster="c",
        group_by="team",
        coverage=1.0,
        policy=Policy(),
        progress=progress,
    )
    assert progress.events == [("start", 5), ("advance", 5), ("finish", 0)]
