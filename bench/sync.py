"""Initial sync of a large simulated cluster, quotameter against two baselines,
measured side by side in one run (rounds interleave the modes, so machine noise
hits all three alike).

    python -m bench.sync --size 5000x20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.simproc import simulated_cluster

MODES = ("floor", "daemon", "official")


def measure(mode: str, url: str) -> dict:
    """One sync in a fresh interpreter, so peak RSS is that sync's alone."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.sync_worker", mode, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="5000x20", help="NAMESPACESxPODS")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {m: [] for m in MODES}
    with simulated_cluster(args.size, workdir=Path("bench/out")) as url:
        for n in range(args.rounds):
            for mode in MODES:
                results[mode].append(measure(mode, url))
                r = results[mode][-1]
                print(
                    f"round {n + 1} {mode:8s} {r['seconds']:7.2f}s "
                    f"{r['rss_mib']:7.0f} MiB {r['objects']} objects",
                    file=sys.stderr,
                )
    med = {m: statistics.median(r["seconds"] for r in results[m]) for m in MODES}
    rss = {m: max(r["rss_mib"] for r in results[m]) for m in MODES}
    print("| mode | median sync (s) | peak RSS (MiB) |\n| --- | --- | --- |")
    for m in MODES:
        print(f"| {m} | {med[m]:.2f} | {rss[m]:.0f} |")
    print(
        f"\ndaemon / floor = {med['daemon'] / med['floor']:.2f}x; "
        f"official / daemon = {med['official'] / med['daemon']:.2f}x"
    )


if __name__ == "__main__":
    main()
