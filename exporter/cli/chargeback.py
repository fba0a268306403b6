"""`quotameter chargeback`: a month's CSV from the ledger or from Prometheus (fleet mode),
or the month's FOCUS export from the ledger (`--format focus`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from exporter.cost.csvout import ChargebackParamError, parse_group_by, parse_month, render_csv
from exporter.cost.focuscsv import parse_format
from exporter.cost.pricing import load_pricing
from exporter.cost.progress import TerminalProgress
from exporter.errors import LedgerError, LedgerInUse, LedgerReadOnly
from exporter.fleet.chargeback import fleet_chargeback
from exporter.fleet.promapi import PrometheusError
from exporter.ledger.focusreport import ledger_focus
from exporter.ledger.reports import ledger_csv, policy_of
from exporter.ledger.store import Ledger
from exporter.settings import Settings
from exporter.yamlfile import one_line

EXIT_FAILED, EXIT_USAGE = 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The chargeback subcommand's own options."""
    parser.add_argument("--month", help="UTC month, YYYY-MM (default: the current month)")
    parser.add_argument(
        "--group-by",
        choices=("team", "namespace", "vcluster"),
        help="one row per team (default), namespace, or vcluster",
    )
    parser.add_argument(
        "--format",
        help="csv (default), or focus: FinOps FOCUS rows per UTC day x namespace (x vcluster) "
        "x resource, from the ledger (not with --group-by or --prometheus)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the CSV here (default: stdout)")
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="fleet mode: compute the CSV from quotameter_cost_total in this "
        "Prometheus-compatible API (Prometheus, Thanos, Mimir), per cluster label",
    )


def run_chargeback(settings: Settings, args: argparse.Namespace) -> int:
    """Write the CSV; exit 2 for bad parameters, 1 when the source cannot be read."""
    month = args.month or time.strftime("%Y-%m", time.gmtime())
    try:
        parse_month(month)
        parse_group_by(args.group_by)
        focus = parse_format(args.format, group_by=args.group_by) == "focus"
        if focus and args.prometheus:
            raise ChargebackParamError(
                "format: focus is written from the ledger; fleet mode (--prometheus) "
                "writes only csv",
                parameter="format",
                value=args.format,
            )
        if args.prometheus:
            body = _fleet(settings, args, month)
        else:
            body = _ledger(settings, args, month, focus=focus)
    except ChargebackParamError as e:
        sys.stderr.write(f"quotameter chargeback: {e}\n")
        return EXIT_USAGE
    except (LedgerInUse, LedgerReadOnly) as e:
        sys.stderr.write(f"quotameter chargeback: {one_line(str(e))}\n")
        return EXIT_USAGE
    except (LedgerError, PrometheusError) as e:
        sys.stderr.write(f"quotameter chargeback: {one_line(str(e))}\n")
        return EXIT_FAILED
    if args.output:
        try:
            args.output.write_bytes(body)
        except OSError as e:
            sys.stderr.write(
                f"quotameter chargeback: cannot write -o {args.output}: {e.strerror}\n"
            )
            return EXIT_USAGE
    else:
        sys.stdout.buffer.write(body)
    return 0


def _ledger(settings: Settings, args: argparse.Namespace, month: str, *, focus: bool) -> bytes:
    if not settings.ledger_path.is_file():
        raise LedgerError(f"no ledger at {settings.ledger_path} (set QUOTAMETER_LEDGER_PATH)")
    ledger = Ledger.open(settings.ledger_path, readonly=True)
    try:
        if focus:
            return ledger_focus(
                ledger,
                month=month,
                cluster=settings.cluster_name,
                pricing=load_pricing(settings.pricing_file),
            )
        return ledger_csv(
            ledger,
            month=month,
            group_by=args.group_by,
            cluster=settings.cluster_name,
            pricing=load_pricing(settings.pricing_file),
        )
    finally:
        ledger.close()


def _fleet(settings: Settings, args: argparse.Namespace, month: str) -> bytes:
    report = asyncio.run(
        fleet_chargeback(
            args.prometheus,
            month=month,
            group_by=args.group_by,
            policy=policy_of(load_pricing(settings.pricing_file)),
            now=time.time(),
            cluster=settings.cluster_name,
            progress=TerminalProgress(),
        )
    )
    for note in report.notes:
        sys.stderr.write(f"quotameter chargeback: note: {note}\n")
    return render_csv(report.rows, group_by=args.group_by)
