"""The `quotameter` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from exporter import __version__
from exporter.cli.chargeback import add_arguments as add_chargeback_arguments
from exporter.cli.chargeback import run_chargeback
from exporter.cli.recommend import add_arguments as add_recommend_arguments
from exporter.cli.recommend import run_recommend
from exporter.cost.pricing import load_pricing
from exporter.errors import ConfigError, LedgerError, LedgerInUse, LedgerReadOnly
from exporter.settings import Settings, effective_config, load_settings
from exporter.yamlfile import one_line

EXIT_FAILED, EXIT_USAGE = 1, 2

# Secrets stay out of flags (they would show in process listings): env or file only.
_NO_FLAG = {"api_token"}


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting, named after the field, e.g. --page-size for page_size."""
    parser.add_argument("--config", type=Path, help="YAML file of settings (weakest source)")
    group = parser.add_argument_group("settings (each also QUOTAMETER_<NAME> in the environment)")
    for name, field in Settings.model_fields.items():
        if name not in _NO_FLAG:
            flag = "--" + name.replace("_", "-")
            group.add_argument(
                flag,
                dest=name,
                default=None,
                metavar=name.upper(),
                help=f"{field.description} (default: {field.default})",
            )


def _add_cluster_options(
    parser: argparse.ArgumentParser, *, scenario: str, churn: float, kubeconfig: str
) -> None:
    """The simulated cluster's options, shared by `demo` and `sim`."""
    parser.add_argument(
        "--scenario",
        default=scenario,
        help=f"built-in scenario name or directory (default: {scenario})",
    )
    parser.add_argument(
        "--churn-seconds",
        type=float,
        default=churn,
        help=f"seconds between churn steps, 0 for none (default: {churn:g})",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated cluster")
    parser.add_argument(
        "--kubeconfig-out",
        type=Path,
        default=Path(kubeconfig),
        help=f"where to write a kubeconfig for kubectl (default: {kubeconfig})",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="quotameter",
        description="Quota saturation, quota refusals and per-team cost for shared "
        "Kubernetes clusters. Settings come from flags, QUOTAMETER_* environment "
        "variables and a YAML file (--config), strongest first.",
    )
    parser.add_argument("--version", action="version", version=f"quotameter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="watch the cluster from KUBECONFIG or in-cluster config",
        description="Watch the cluster of the kubeconfig (or the in-cluster "
        "service account) and serve /metrics and the API.",
    )
    _add_setting_flags(run)

    demo = sub.add_parser(
        "demo",
        help="run against the built-in simulated cluster",
        description="Start the simulated cluster with the demo scenario "
        "(no real cluster needed) and print how to reach it.",
    )
    _add_setting_flags(demo)
    _add_cluster_options(demo, scenario="demo", churn=5.0, kubeconfig="data/demo-kubeconfig")

    sim = sub.add_parser(
        "sim",
        help="serve only the simulated Kubernetes API",
        description="Serve a simulated cluster on loopback and write a "
        "kubeconfig for kubectl; for exploring and for benchmarks.",
    )
    _add_cluster_options(sim, scenario="reference", churn=0.0, kubeconfig="data/sim-kubeconfig")
    sim.add_argument(
        "--synthetic",
        metavar="NAMESPACESxPODS",
        help="load a synthetic cluster instead, e.g. 5000x20",
    )
    sim.add_argument("--port", type=int, default=0, help="port (default: a free one)")

    chargeback = sub.add_parser(
        "chargeback",
        help="write a month's chargeback CSV (from the ledger, or --prometheus URL)",
        description="Write a month's chargeback CSV: from the SQLite ledger, or in fleet "
        "mode from a Prometheus-compatible API. Exit 2 for bad parameters.",
    )
    add_chargeback_arguments(chargeback)
    _add_setting_flags(chargeback)

    recommend = sub.add_parser(
        "recommend",
        help="suggest quota hard values from the ledger's history",
        description="Quota right-sizing from the ledger's daily history: for every quota "
        "key, the 95th percentile of its daily peaks of used over the window plus "
        "headroom, never below the current used, rounded up (cores to 100m, memory to Mi "
        "or Gi), and a verdict: tight (refusals, or at 90% or more on most days), loose "
        "(below 30% every day of the window), fit, or insufficient-history (under 7 "
        "days). Exit 2 for bad parameters.",
    )
    add_recommend_arguments(recommend)
    _add_setting_flags(recommend)

    check = sub.add_parser(
        "check-config",
        help="validate settings and print the effective config",
        description="Validate settings and the pricing file (when one is set) and print "
        "the effective configuration as JSON; exit 2 when either is invalid.",
    )
    _add_setting_flags(check)
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    flags: dict[str, Any] = {name: getattr(args, name, None) for name in Settings.model_fields}
    return load_settings(flags=flags, config=getattr(args, "config", None))


def _simulated(args: argparse.Namespace) -> int:
    """`demo` and `sim`, which need quotasim: installed beside the daemon, not in the image."""
    try:
        # Imported here, not at the top: without quotasim the other commands still work.
        from exporter.cli import demo
    except ModuleNotFoundError as e:
        if (e.name or "").partition(".")[0] != "quotasim":
            raise
        sys.stderr.write(
            f"quotameter: `{args.command}` needs the simulated cluster (quotasim), "
            "which this installation does not include\n"
        )
        return EXIT_USAGE
    if args.command == "sim":
        return asyncio.run(demo.run_sim(args))
    return asyncio.run(
        demo.run_demo(
            _settings_from(args),
            scenario=args.scenario,
            churn_seconds=args.churn_seconds,
            seed=args.seed,
            kubeconfig_out=args.kubeconfig_out,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Every refusal is one line on stderr: exit 2 for bad input (a setting, a file, a
    parameter, a ledger another daemon holds), 1 when a source cannot be read."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (ConfigError, LedgerInUse, LedgerReadOnly) as e:
        return _refuse(e, EXIT_USAGE)
    except LedgerError as e:
        return _refuse(e, EXIT_FAILED)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        settings = _settings_from(args)
        load_pricing(settings.pricing_file)  # validated, as --help promises
        sys.stdout.write(
            orjson.dumps(effective_config(settings), option=orjson.OPT_INDENT_2).decode() + "\n"
        )
        return 0
    if args.command in ("demo", "sim"):
        return _simulated(args)
    if args.command == "chargeback":
        return run_chargeback(_settings_from(args), args)
    if args.command == "recommend":
        return run_recommend(_settings_from(args), args)
    if args.command == "run":
        from exporter.app import run

        return asyncio.run(run(_settings_from(args)))
    return EXIT_USAGE


def _refuse(error: Exception, code: int) -> int:
    sys.stderr.write(f"quotameter: {one_line(str(error))}\n")
    return code
