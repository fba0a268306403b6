"""Certificates for the loopback control plane, made with the openssl command.

Two CAs as kubeadm has them: the cluster CA signs the apiserver's serving
certificate and every client certificate; the front-proxy CA signs the client
certificate the aggregator presents to metrics-server.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

APISERVER_SANS = (
    "IP:127.0.0.1",
    "IP:10.0.0.1",
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True, slots=True)
class Pki:
    """Paths of every key and certificate the control plane needs."""

    dir: Path

    def path(self, name: str) -> Path:
        """The file `name` (e.g. "ca.crt") in this PKI folder."""
        return self.dir / name


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _ca(pki: Path, name: str, cn: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(pki / f"{name}.key"), "-out", str(pki / f"{name}.crt"),
        "-days", "3650", "-subj", f"/CN={cn}",
    )  # fmt: skip


def _leaf(pki: Path, *, name: str, ca: str, subject: str, sans: tuple[str, ...] = ()) -> None:
    ext = ["basicConstraints=critical,CA:FALSE", "extendedKeyUsage=serverAuth,clientAuth"]
    if sans:
        ext.append("subjectAltName=" + ",".join(sans))
    args = [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-CA", str(pki / f"{ca}.crt"), "-CAkey", str(pki / f"{ca}.key"),
        "-keyout", str(pki / f"{name}.key"), "-out", str(pki / f"{name}.crt"),
        "-days", "3650", "-subj", subject,
    ]  # fmt: skip
    for e in ext:
        args += ["-addext", e]
    _openssl(*args)


def generate(pki: Path) -> Pki:
    """Write a fresh PKI into `pki` and return it."""
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command is required to make the control plane's PKI")
    pki.mkdir(parents=True, exist_ok=True)
    _ca(pki, "ca", "quotameter-test-ca")
    _ca(pki, "front-proxy-ca", "quotameter-front-proxy-ca")
    _leaf(pki, name="apiserver", ca="ca", subject="/CN=kube-apiserver", sans=APISERVER_SANS)
    _leaf(pki, name="admin", ca="ca", subject="/O=system:masters/CN=quotameter-admin")
    _leaf(pki, name="front-proxy-client", ca="front-proxy-ca", subject="/CN=front-proxy-client")
    _openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", str(pki / "sa.key"))
    _openssl("ec", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    return Pki(pki)
