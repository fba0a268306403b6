"""The daemon against the real apiserver: a cluster of NAMESPACES x PODS created through
the API on KWOK nodes, then, side by side in one run over the same cluster, the
`quotameter run` process from start to /readyz 200 and its first complete /metrics,
the official client, `kubectl get pods -A -o json`, and the aiohttp+orjson floor.

    python -m bench.real_apiserver --namespaces 5000 --pods-per-namespace 20 --rounds 2

`--cluster-dir DIR` measures a control plane that is already running from DIR (one this
benchmark or `make cluster` started) instead of creating one; it counts what it finds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.processes import wait_ready
from cluster.launcher import ControlPlane, build, free_port
from cluster.populate import Target, populate

PODS_PER_NODE = 1000


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def time_daemon(cp: ControlPlane, workdir: Path) -> dict:
    """`quotameter run` as a user starts it: seconds to /readyz 200 and to the first /metrics."""
    port = free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(cp.kubeconfig),
        "QUOTAMETER_HOST": "127.0.0.1",
        "QUOTAMETER_PORT": str(port),
        "QUOTAMETER_LEDGER_PATH": str(workdir / f"ledger-{port}.sqlite"),
        "QUOTAMETER_LOG_LEVEL": "warning",
    }
    quotameter = Path(sys.executable).with_name("quotameter")
    started = time.perf_counter()
    process = subprocess.Popen([str(quotameter), "run"], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process)
        ready = time.perf_counter() - started
        with urllib.request.urlopen(url + "/metrics", timeout=60) as r:
            size = len(r.read())
        scraped = time.perf_counter() - started
        cpu = _cpu_seconds(process.pid)
        return {
            "mode": "daemon",
            "seconds": ready,
            "first_scrape": scraped,
            "cpu_seconds": cpu,
            "rss_mib": peak_rss_mib(process.pid),
            "bytes": size,
        }
    finally:
        process.terminate()
        process.wait(30)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_worker(mode: str, cp: ControlPlane) -> dict:
    """A baseline in a fresh interpreter, so its peak RSS is its own."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.real_worker", mode, str(cp.kubeconfig)],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_kubectl(cp: ControlPlane) -> dict:
    """`kubectl get pods -A -o json > /dev/null`."""
    kubectl = cp.bins["controlplane"] / "kubectl"
    started = time.perf_counter()
    subprocess.run(
        [str(kubectl), f"--kubeconfig={cp.kubeconfig}", "get", "pods", "-A", "-o", "json"],
        stdout=subprocess.DEVNULL, check=True, timeout=3600,
    )  # fmt: skip
    return {"mode": "kubectl", "seconds": time.perf_counter() - started}


def wait_running(cp: ControlPlane, total: int) -> float:
    """Until KWOK has every pod Running; returns the seconds it took."""
    started = time.perf_counter()
    while True:
        pending = cp.kubectl(
            "get", "pods", "-A", "--field-selector=status.phase!=Running", "--no-headers",
            "--chunk-size=5000",
        ).stdout.count("\n")  # fmt: skip
        print(f"  {total - pending}/{total} Running", file=sys.stderr)
        if pending == 0:
            return time.perf_counter() - started
        time.sleep(10)


def main() -> int:
    """Build the cluster, measure every mode, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=5000)
    parser.add_argument("--pods-per-namespace", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cluster-dir", type=Path, help="measure this running control plane")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="quotameter-bench-"))
    if args.cluster_dir is not None:
        cp = ControlPlane(workdir=args.cluster_dir, bins=build(), ports={})
        print(describe(cp))
        report(measure(cp, workdir, rounds=args.rounds))
        return 0
    total = args.namespaces * args.pods_per_namespace
    nodes = max(3, -(-total // PODS_PER_NODE))
    with ControlPlane.start(workdir / "cluster", nodes=nodes) as cp:
        created = asyncio.run(
            populate(
                Target.from_kubeconfig(cp.kubeconfig),
                namespaces=args.namespaces,
                pods_per_namespace=args.pods_per_namespace,
                nodes=nodes,
            )
        )
        print(f"created {total} pods in {created:.0f} s ({total / created:.0f}/s)")
        running = wait_running(cp, total)
        print(f"KWOK had them all Running {running:.0f} s later")
        results = measure(cp, workdir, rounds=args.rounds)
    report(results)
    return 0


def measure(cp: ControlPlane, workdir: Path, *, rounds: int) -> dict[str, list[dict]]:
    """Every mode once per round, in the same order each round."""
    results: dict[str, list[dict]] = {}
    for n in range(rounds):
        for mode in ("floor", "daemon", "kubectl", "official"):
            if mode == "daemon":
                r = time_daemon(cp, workdir)
            elif mode == "kubectl":
                r = time_kubectl(cp)
            else:
                r = time_worker(mode, cp)
            results.setdefault(mode, []).append(r)
            print(f"round {n + 1} {json.dumps(r)}", file=sys.stderr, flush=True)
    return results


def describe(cp: ControlPlane) -> str:
    """What the cluster holds: namespaces, pods, and pods Running."""

    def count(*args: str) -> int:
        return cp.kubectl("get", *args, "--no-headers", "--chunk-size=5000").stdout.count("\n")

    pods = count("pods", "-A")
    running = count("pods", "-A", "--field-selector=status.phase=Running")
    return f"{count('namespaces')} namespaces, {pods} pods ({running} Running)"


def report(results: dict[str, list[dict]]) -> None:
    """The median of every mode, and the ratios against the floor."""
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in results.items()}
    print("| mode | median seconds | peak RSS (MiB) |\n| --- | --- | --- |")
    for mode, rs in results.items():
        rss = max((r["rss_mib"] for r in rs if "rss_mib" in r), default=float("nan"))
        print(f"| {mode} | {med[mode]:.2f} | {rss:.0f} |")
    d = results["daemon"]
    print(
        f"\ndaemon start->ready / floor = {med['daemon'] / med['floor']:.2f}x; "
        f"official / daemon = {med['official'] / med['daemon']:.2f}x; "
        f"kubectl / daemon = {med['kubectl'] / med['daemon']:.2f}x; "
        f"first complete scrape {statistics.median(r['first_scrape'] for r in d):.2f} s, "
        f"{d[-1]['bytes'] / 2**20:.1f} MiB; initial sync CPU "
        f"{statistics.median(r['cpu_seconds'] for r in d):.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
