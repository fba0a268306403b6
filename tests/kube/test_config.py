"""Connection settings: kubeconfig tokens, token files, exec plugins, in-cluster, TLS."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from kubernetes.client import Configuration

from exporter.errors import ConfigError, ServerError, Unauthorized
from exporter.kube.client import KubeClient
from exporter.kube.config import (
    Credentials,
    load_config,
    load_incluster,
    load_kubeconfig,
)
from quotasim.server import SimServer


def write_kubeconfig(path: Path, server: str, *, user: dict, cluster: dict | None = None) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def test_kubeconfig_for_the_simulator(sim: SimServer, tmp_path: Path) -> None:
    sim.token = "sim-secret"
    config = load_config(kubeconfig=sim.write_kubeconfig(tmp_path / "kc"))
    assert config.server == sim.url
    assert config.ssl_context is None
    assert await config.auth_headers() == {"Authorization": f"Bearer {sim.token}"}
    assert sim.token not in repr(config)
    assert sim.token not in repr(config.credentials)
    assert "server='http://127.0.0.1" in repr(config)


def test_broken_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_kubeconfig(path)
    assert caught.value.field == "kubeconfig"


async def test_token_file_is_reread_after_a_401(sim: SimServer, tmp_path: Path) -> None:
    sim.token = "sim-secret"
    token = tmp_path / "token"
    token.write_text("stale", encoding="utf-8")
    path = write_kubeconfig(tmp_path / "kc", sim.url, user={"tokenFile": str(token)})
    async with KubeClient(load_kubeconfig(path)) as kube:
        with pytest.raises(Unauthorized):  # re-read once, still stale: give up
            await kube.get_json("/api/v1/namespaces")
        token.write_text(sim.token, encoding="utf-8")  # rotated
        assert (await kube.get_json("/api/v1/namespaces"))["items"]
        assert kube.health.api_errors_total == {("other", "401"): 1}


async def test_exec_plugin_runs_again_after_a_401(sim: SimServer, tmp_path: Path) -> None:
    sim.token = "sim-secret"
    token, runs = tmp_path / "token", tmp_path / "runs"
    token.write_text(sim.token, encoding="utf-8")
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, pathlib, sys\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "runs.write_text(str(int(runs.read_text() or 0) + 1) if runs.exists() else '1')\n"
        "json.dump({'apiVersion': 'client.authentication.k8s.io/v1beta1',\n"
        "           'kind': 'ExecCredential',\n"
        f"           'status': {{'token': pathlib.Path({str(token)!r}).read_text()}}}},\n"
        "          sys.stdout)\n",
        encoding="utf-8",
    )
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                     "command": sys.executable, "args": [str(plugin)]}}  # fmt: skip
    path = write_kubeconfig(tmp_path / "kc", sim.url, user=user)
    async with KubeClient(load_kubeconfig(path)) as kube:
        assert (await kube.get_json("/api/v1/namespaces"))["items"]
        sim.token = "rotated"
        token.write_text("rotated", encoding="utf-8")
        assert (await kube.get_json("/api/v1/namespaces"))["items"]
    assert runs.read_text() == "2"


async def test_credentials_are_checked_at_most_every_60_seconds() -> None:
    now = [0.0]
    checks: list[str] = []

    def load(cfg: Configuration) -> None:
        cfg.host = "http://example.invalid"
        cfg.api_key["BearerToken"] = "Bearer one"

        def hook(c: Configuration) -> None:  # what the library does for token files
            checks.append("hook")
            c.api_key["BearerToken"] = "Bearer two"

        # kubernetes.client declares the hook's type as None, its default
        cfg.refresh_api_key_hook = hook  # type: ignore[assignment]

    credentials = Credentials(load, clock=lambda: now[0])
    now[0] = 59.0
    assert await credentials.headers() == {"Authorization": "Bearer one"}
    now[0] = 60.0
    assert await credentials.headers() == {"Authorization": "Bearer two"}
    assert await credentials.headers() == {"Authorization": "Bearer two"}
    assert checks == ["hook"]
    await credentials.reload({"Authorization": "Bearer two"})  # a 401: load from scratch
    assert await credentials.headers() == {"Authorization": "Bearer one"}
    await credentials.reload({"Authorization": "Bearer stale"})  # someone reloaded already
    assert checks == ["hook"]


# -- TLS: in-cluster and kubeconfig certificates ------------------------------------------


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed")
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    for name, ext in [("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")]:  # fmt: skip
        (d / f"{name}.ext").write_text(ext + "\n", encoding="utf-8")
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2",
            "-extfile", f"{name}.ext")  # fmt: skip
    return d


@pytest.fixture
async def tls_server(pki: Path) -> AsyncIterator[str]:
    """An HTTPS server on loopback that insists on a client certificate from the CA."""

    async def namespaces(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        subject = dict(x[0] for x in peer["subject"]) if peer else {}
        return web.json_response(
            {"kind": "NamespaceList", "items": [], "cn": subject.get("commonName")}
        )

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki / "ca.crt"))
    context.load_cert_chain(pki / "server.crt", pki / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    app = web.Application()
    app.router.add_get("/api/v1/namespaces", namespaces)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    host, port = runner.addresses[0][:2]
    yield f"https://{host}:{port}"
    await runner.cleanup()


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


async def test_kubeconfig_ca_and_client_certificate_data(
    pki: Path, tls_server: str, tmp_path: Path
) -> None:
    user = {"client-certificate-data": b64(pki / "client.crt"),
            "client-key-data": b64(pki / "client.key")}  # fmt: skip
    cluster = {"certificate-authority-data": b64(pki / "ca.crt")}
    path = write_kubeconfig(tmp_path / "kc", tls_server, user=user, cluster=cluster)
    config = load_kubeconfig(path)
    assert "tls=verified" in repr(config)
    async with KubeClient(config) as kube:
        assert (await kube.get_json("/api/v1/namespaces"))["cn"] == "client"


async def test_insecure_skip_tls_verify(pki: Path, tls_server: str, tmp_path: Path) -> None:
    user = {"client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")}
    cluster = {"insecure-skip-tls-verify": True}
    config = load_kubeconfig(
        write_kubeconfig(tmp_path / "kc", tls_server, user=user, cluster=cluster)
    )
    assert "tls=insecure" in repr(config)
    async with KubeClient(config) as kube:
        assert (await kube.get_json("/api/v1/namespaces"))["cn"] == "client"


async def test_unknown_ca_is_refused(pki: Path, tls_server: str, tmp_path: Path) -> None:
    user = {"client-certificate": str(pki / "client.crt"), "client-key": str(pki / "client.key")}
    config = load_kubeconfig(write_kubeconfig(tmp_path / "kc", tls_server, user=user))
    async with KubeClient(config) as kube:
        with pytest.raises(ServerError, match=r"(?i)certificate"):
            await kube.get_json("/api/v1/namespaces")


async def test_in_cluster_service_account(pki: Path, tls_server: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("sa-token-1", encoding="utf-8")
    host, port = tls_server.removeprefix("https://").split(":")
    environ = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    config = load_incluster(token_path=token, ca_path=pki / "ca.crt", environ=environ)
    assert config.server == tls_server
    assert await config.auth_headers() == {"Authorization": "bearer sa-token-1"}
    assert "sa-token-1" not in repr(config)
    token.write_text("sa-token-2", encoding="utf-8")  # kubelet rotated it; we got a 401
    await config.refresh_auth({"Authorization": "bearer sa-token-1"})
    assert await config.auth_headers() == {"Authorization": "bearer sa-token-2"}


def test_in_cluster_outside_a_cluster_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="in-cluster"):
        load_incluster(token_path=tmp_path / "none", ca_path=tmp_path / "none", environ={})
