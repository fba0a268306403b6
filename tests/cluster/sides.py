"""The two API servers of the differential test, behind one face: the real control
plane and the simulated one, each driven by the same pinned kubectl and raw HTTP."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from cluster.launcher import ControlPlane, free_port

# Names and values that differ between any two clusters, whatever they run.
GENERATED_NAME = re.compile(r"\b([a-z0-9-]+?)-[a-z0-9]{6,10}-[a-z0-9]{5}\b")
VOLATILE_METADATA = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")


@dataclass
class Side:
    """One API server: kubectl with its kubeconfig, and raw HTTP with its credentials."""

    name: str
    kubectl_bin: Path
    kubeconfig: Path
    server: str
    tls: ssl.SSLContext | None

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> str:
        """Run kubectl; returns stdout (fails the test on a non-zero exit when `check`)."""
        done = subprocess.run(
            [str(self.kubectl_bin), f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{self.name}: kubectl {' '.join(args)}: {done.stderr}")
        return done.stdout

    def get_json(self, *args: str) -> dict:
        """`kubectl get ... -o json`, decoded."""
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """One raw API request; (status, decoded JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.tls) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


def real_side(cp: ControlPlane) -> Side:
    """The real control plane as a Side."""
    tls = ssl.create_default_context(cafile=str(cp.pki / "ca.crt"))
    tls.load_cert_chain(str(cp.pki / "admin.crt"), str(cp.pki / "admin.key"))
    kubectl = cp.bins["controlplane"] / "kubectl"
    return Side("real", kubectl, cp.kubeconfig, cp.server, tls)


def start_sim(workdir: Path, *, scenario: Path, kubectl: Path) -> tuple[subprocess.Popen, Side]:
    """`quotameter sim` on `scenario`, as a Side driven by the same kubectl as the real one."""
    kubeconfig = workdir / "sim.kubeconfig"
    port = free_port()
    quotameter = Path(sys.executable).with_name("quotameter")
    process = subprocess.Popen(
        [str(quotameter), "sim", "--scenario", str(scenario), "--port", str(port),
         "--kubeconfig-out", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy(),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not kubeconfig.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            out = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"quotameter sim did not start: {out}")
        time.sleep(0.1)
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    return process, Side("sim", kubectl, kubeconfig, server, None)


def normalise(obj: object) -> object:
    """An API object with what differs between any two clusters taken out: uids, versions,
    timestamps, generated name suffixes, managed fields."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if key in VOLATILE_METADATA or key.endswith("Time") or key.endswith("Timestamp"):
                continue
            out[key] = normalise(value)
        return out
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, str):
        return GENERATED_NAME.sub(r"\1-<hash>-<id>", obj)
    return obj


def flatten(obj: object, prefix: str = "") -> dict[str, object]:
    """{"a.b[0].c": leaf} for comparing two objects path by path."""
    if isinstance(obj, dict):
        items: dict[str, object] = {}
        for key, value in obj.items():
            items |= flatten(value, f"{prefix}.{key}" if prefix else key)
        return items or {prefix: {}}
    if isinstance(obj, list):
        items = {}
        for i, value in enumerate(obj):
            items |= flatten(value, f"{prefix}[{i}]")
        return items or {prefix: []}
    return {prefix: obj}


def differences(real: object, sim: object) -> dict[str, tuple[object, object]]:
    """Every path whose value differs: path -> (real, sim)."""
    a, b = flatten(normalise(real)), flatten(normalise(sim))
    return {
        p: (a.get(p, "<absent>"), b.get(p, "<absent>"))
        for p in a.keys() | b.keys()
        if a.get(p, "<absent>") != b.get(p, "<absent>")
    }
