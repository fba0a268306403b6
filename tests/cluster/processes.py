"""`quotameter run` as a user starts it, against the real control plane."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cluster.launcher import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class DaemonProcess:
    """A `quotameter run` process and the URL it serves on."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """GET a path; (status, body)."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def samples(self) -> Samples:
        """Every sample of one /metrics scrape, keyed by (name, labels)."""
        status, body = self.get("/metrics")
        assert status == 200, body[:500]
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }

    def wait_ready(self, *, within: float = 60) -> None:
        """Until /readyz answers 200 (fails with the daemon's log if it exits)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"quotameter exited {self.process.returncode}:\n{self.tail()}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"quotameter not ready within {within}s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        """The end of the daemon's log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code. The daemon bounds its own stop (25 s,
        then exit 1); past 40 s it is killed, so the process is always reaped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_daemon(
    workdir: Path, *, kubeconfig: Path, env: dict[str, str] | None = None
) -> DaemonProcess:
    """Start `quotameter run` against `kubeconfig` on a free port, logging into `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "quotameter.log"
    settings = {
        "KUBECONFIG": str(kubeconfig),
        "QUOTAMETER_HOST": "127.0.0.1",
        "QUOTAMETER_PORT": str(port),
        "QUOTAMETER_LEDGER_PATH": str(workdir / "ledger.sqlite"),
        "QUOTAMETER_METRICS_POLL_SECONDS": "2",
        "QUOTAMETER_LOG_FORMAT": "json",
    }
    quotameter = Path(sys.executable).with_name("quotameter")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(quotameter), "run"],
            env={**os.environ, **settings, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return DaemonProcess(process=process, url=f"http://127.0.0.1:{port}", log=log)


def wait_for(
    condition: Callable[..., object], *, within: float, what: str, every: float = 0.2
) -> None:
    """Poll `condition()` every `every` seconds until it is truthy, or fail naming `what`."""
    # Callable[..., object]: the tests pass lambdas that bind a loop variable as a default.
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    pytest.fail(f"timed out after {within}s waiting for {what}")
