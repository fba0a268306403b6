"""Write quotameter's Grafana dashboards as JSON.

python -m dashboards.build                   regenerate dashboards/*.json (USD)
python -m dashboards.build --check           exit 1 when the committed JSON is stale
python -m dashboards.build --currency EUR --out DIR
                                             the same dashboards priced in another currency
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dashboards import costs, exporter, quotas
from dashboards.frame import currency_unit
from dashboards.grafana import Json

HERE = Path(__file__).resolve().parent
DEFAULT_CURRENCY = "USD"


def generate(currency: str = DEFAULT_CURRENCY) -> dict[str, Json]:
    """Every dashboard by file name; money is shown in `currency` (an ISO code)."""
    return {
        "quotameter-quotas.json": quotas.build(),
        "quotameter-costs.json": costs.build(currency_unit(currency)),
        "quotameter-exporter.json": exporter.build(),
    }


def render(board: Json) -> str:
    """The file text: stable key order as built, two-space indent, trailing newline."""
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def stale(directory: Path, currency: str = DEFAULT_CURRENCY) -> list[str]:
    """The files in `directory` that differ from what the generator writes."""
    return [
        name
        for name, board in generate(currency).items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != render(board)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) the dashboards; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.build", description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE, help="directory (default: %(default)s)")
    parser.add_argument("--currency", default=DEFAULT_CURRENCY, help="ISO code, e.g. EUR")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.out, args.currency)
        for name in names:
            sys.stderr.write(f"{args.out / name} is stale: run python -m dashboards.build\n")
        return 1 if names else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, board in generate(args.currency).items():
        (args.out / name).write_text(render(board), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
