"""Start `quotameter sim` in its own process, so the simulator's memory and CPU
are not counted against what a benchmark measures."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def simulated_cluster(size: str, *, workdir: Path) -> Iterator[str]:
    """Serve a synthetic cluster (e.g. "5000x20") and yield its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exporter.cli",
            "sim",
            "--synthetic",
            size,
            "--kubeconfig-out",
            str(workdir / "kubeconfig"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("simulated API server: "):
            raise RuntimeError(f"simulator did not start: {line!r}")
        yield line.split(": ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
