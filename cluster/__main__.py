"""`make cluster`: run the real control plane on loopback in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from cluster.launcher import ControlPlane, ControlPlaneError


def main() -> int:
    """Start the control plane, print how to reach it, and wait for Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m cluster", description=__doc__)
    parser.add_argument("--workdir", type=Path, help="folder for PKI, etcd data and logs")
    parser.add_argument("--nodes", type=int, default=3, help="fake KWOK nodes (default 3)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="quotameter-cluster-"))
    started = time.monotonic()
    try:
        cp = ControlPlane.start(workdir, nodes=args.nodes)
    except ControlPlaneError as e:
        print(f"cluster: {e}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    kubectl = cp.bins["controlplane"] / "kubectl"
    print(f"control plane ready in {time.monotonic() - started:.1f} s at {cp.server}")
    print(f"  export KUBECONFIG={cp.kubeconfig}")
    print(f"  {kubectl} get nodes")
    print(f"  logs: {workdir / 'logs'}")
    print("Ctrl-C stops it.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cp.stop()
        print("control plane stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
