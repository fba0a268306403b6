"""Waiting for a `quotameter run` process a benchmark started."""

from __future__ import annotations

import subprocess
import time
import urllib.request


def wait_ready(url: str, process: subprocess.Popen, *, within: float = 600) -> None:
    """Until ``url``/readyz answers 200; polled every 20 ms, so a timing stays exact."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"quotameter exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:  # not listening yet, or 503 while it syncs
            pass
        time.sleep(0.02)
    raise TimeoutError(f"quotameter did not become ready within {within:.0f} s")
