"""`quotameter recommend`: quota right-sizing advice from the ledger's daily history."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from exporter.errors import LedgerError, LedgerInUse, LedgerReadOnly
from exporter.ledger.advice import ledger_recommendations, recommendations_csv
from exporter.ledger.store import Ledger
from exporter.model.rightsizing import (
    DEFAULT_HEADROOM,
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    AdviceParamError,
    Recommendation,
    parse_headroom,
    parse_window_days,
    quantity_text,
)
from exporter.settings import Settings
from exporter.yamlfile import one_line

EXIT_FAILED, EXIT_USAGE = 1, 2
TABLE_COLUMNS = ("NAMESPACE", "QUOTA", "RESOURCE", "HARD", "USED", "SUGGESTED", "VERDICT", "WHY")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The recommend subcommand's own options."""
    parser.add_argument(
        "--window-days",
        default=str(DEFAULT_WINDOW_DAYS),
        help=f"UTC days of history to read, today included, {MIN_WINDOW_DAYS} to "
        f"{MAX_WINDOW_DAYS} (default: {DEFAULT_WINDOW_DAYS})",
    )
    parser.add_argument(
        "--headroom",
        default=str(DEFAULT_HEADROOM),
        help=f"added to the 95th percentile of the daily peaks, as a fraction "
        f"(default: {DEFAULT_HEADROOM:g}, i.e. 20%%)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, help="write CSV here (default: a table on a terminal, "
        "else CSV on stdout)",
    )  # fmt: skip


def run_recommend(settings: Settings, args: argparse.Namespace) -> int:
    """Print or write the advice; exit 2 for bad parameters, 1 when the ledger cannot be
    read."""
    try:
        window_days = parse_window_days(args.window_days)
        headroom = parse_headroom(args.headroom)
        advice = _advice(settings, window_days=window_days, headroom=headroom)
    except AdviceParamError as e:
        sys.stderr.write(f"quotameter recommend: {e}\n")
        return EXIT_USAGE
    except (LedgerInUse, LedgerReadOnly) as e:
        sys.stderr.write(f"quotameter recommend: {one_line(str(e))}\n")
        return EXIT_USAGE
    except LedgerError as e:
        sys.stderr.write(f"quotameter recommend: {one_line(str(e))}\n")
        return EXIT_FAILED
    if not advice:
        sys.stderr.write(
            f"quotameter recommend: note: the ledger holds no quota history in the last "
            f"{window_days} days (a running daemon writes it with each flush)\n"
        )
    if args.output:
        try:
            args.output.write_bytes(recommendations_csv(advice))
        except OSError as e:
            sys.stderr.write(f"quotameter recommend: cannot write -o {args.output}: {e.strerror}\n")
            return EXIT_USAGE
    elif sys.stdout.isatty():
        sys.stdout.write(render_table(advice))
    else:
        sys.stdout.buffer.write(recommendations_csv(advice))
    return 0


def _advice(settings: Settings, *, window_days: int, headroom: float) -> list[Recommendation]:
    if not settings.ledger_path.is_file():
        raise LedgerError(f"no ledger at {settings.ledger_path} (set QUOTAMETER_LEDGER_PATH)")
    ledger = Ledger.open(settings.ledger_path, readonly=True)
    try:
        return ledger_recommendations(
            ledger, now=time.time(), window_days=window_days, headroom=headroom
        )
    finally:
        ledger.close()


def render_table(advice: Sequence[Recommendation]) -> str:
    """The advice as aligned columns, the way kubectl prints tables."""
    rows = [TABLE_COLUMNS, *(_table_row(a) for a in advice)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS) - 1)]
    return "".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "   " + row[-1] + "\n"
        for row in rows
    )  # fmt: skip


def _table_row(a: Recommendation) -> tuple[str, ...]:
    suggested = "-" if a.suggested is None else quantity_text(a.suggested, a.unit)
    hard, used = quantity_text(a.hard, a.unit), quantity_text(a.used, a.unit)
    return (a.namespace, a.quota, a.resource, hard, used, suggested, a.verdict, a.reason)
