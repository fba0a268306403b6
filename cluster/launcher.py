"""Start the real control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, KWOK (fake nodes whose pods run without a container runtime) and
metrics-server (reading KWOK's emulated kubelet resource metrics through the aggregator).

    with ControlPlane.start(workdir) as cp:
        cp.kubectl("get", "nodes")

Binaries come from `cluster/build.sh`, which builds them once per machine.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from cluster import pki as pkimod

HERE = Path(__file__).resolve().parent
# Our own versions of some of KWOK's stages, replacing the stock ones of the same file name.
KWOK_STAGE_OVERRIDES = HERE / "kwok" / "stages"
QUOTA_SYNC_SECONDS = 2
METRIC_RESOLUTION_SECONDS = 10
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
# KWOK's defaults (4 pod stages at a time, client-side QPS limits) bring pods to Running
# at a few hundred per minute; tens of thousands of pods need more. A configuration file
# replaces the defaults wholesale, so the options it must have are all spelled out.
KWOK_OPTIONS = """\
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  podPlayStageParallelism: 32
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  nodeLeaseDurationSeconds: 40
  nodeStatusUpdateFrequencyMilliseconds: 10000
  heartbeatFactor: 5
  disableQPSLimits: true
"""
CONTROLLERS = (
    "resourcequota-controller",
    "replicaset-controller",
    "deployment-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "garbage-collector-controller",
    # Lifts the not-ready taint that admission puts on every new node once KWOK reports Ready.
    "node-lifecycle-controller",
    # Removes the pvc-protection finalizer, so namespaces holding a PVC can be deleted.
    "persistentvolumeclaim-protection-controller",
)


class ControlPlaneError(RuntimeError):
    """A component failed to build, start or become ready."""


def build(*modules: str) -> dict[str, Path]:
    """Build (or find cached) the binaries of `modules` of cluster/ (none named: the control
    plane and its peers); returns module name -> bin folder."""
    done = subprocess.run(
        ["bash", str(HERE / "build.sh"), *modules], check=False, stdout=subprocess.PIPE, text=True
    )
    if done.returncode != 0:
        raise ControlPlaneError(f"cluster/build.sh failed with exit code {done.returncode}")
    folders = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return {name: Path(path) for name, path in folders.items()}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Component:
    """One process of the control plane, restartable with the same arguments."""

    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process, appending its output to its log file."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self, *, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop the process (SIGTERM, then SIGKILL after `timeout`)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The last lines of the log, for error messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class ControlPlane:
    """A running control plane; use `ControlPlane.start(workdir)`."""

    workdir: Path
    bins: dict[str, Path]
    ports: dict[str, int]
    components: dict[str, Component] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (system:masters)."""
        return self.workdir / "admin.kubeconfig"

    @property
    def server(self) -> str:
        """The apiserver's URL."""
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    @property
    def pki(self) -> Path:
        """The folder of keys and certificates."""
        return self.workdir / "pki"

    @classmethod
    def start(cls, workdir: Path, *, nodes: int = 3) -> Self:
        """Build if needed, start every component, and wait until the cluster serves."""
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "logs").mkdir(exist_ok=True)
        names = ("etcd", "etcd-peer", "apiserver", "kwok", "metrics-server")
        cp = cls(workdir=workdir, bins=build(), ports={n: free_port() for n in names})
        pkimod.generate(cp.pki)
        cp._write_kubeconfig()
        cp._write_kwok_config()
        try:
            cp._boot(nodes=nodes)
        except BaseException:
            cp.stop()
            raise
        return cp

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _boot(self, *, nodes: int) -> None:
        self._add("etcd", self._etcd_argv())
        self._wait("etcd", self._etcd_healthy, timeout=30)
        self._add("kube-apiserver", self._apiserver_argv())
        self._wait("kube-apiserver", self._apiserver_ready, timeout=60)
        self._add("kube-controller-manager", self._controller_manager_argv())
        self._add("kube-scheduler", self._scheduler_argv())
        self._add("kwok", self._kwok_argv())
        self._add("metrics-server", self._metrics_server_argv())
        self.apply(self._metrics_apiservice())
        self.add_nodes(nodes)
        self._wait("kube-controller-manager", self._default_serviceaccount, timeout=60)
        self._wait("kwok", lambda: self._nodes_ready(nodes), timeout=60)
        self._wait("metrics-server", self.metrics_api_available, timeout=60)

    # -- components -------------------------------------------------------

    def _add(self, name: str, argv: list[str]) -> None:
        component = Component(name=name, argv=argv, log=self.workdir / "logs" / f"{name}.log")
        self.components[name] = component
        component.start()

    def stop_component(self, name: str) -> None:
        """Stop one component (e.g. metrics-server, kube-apiserver) and leave it stopped."""
        self.components[name].stop()

    def start_component(self, name: str) -> None:
        """Start a stopped component again with its original arguments."""
        self.components[name].start()
        if name == "kube-apiserver":
            self._wait(name, self._apiserver_ready, timeout=60)

    def stop(self) -> None:
        """Stop every component, newest first."""
        for component in reversed(list(self.components.values())):
            component.stop()

    def _wait(self, name: str, ready: Callable[[], object], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            component = self.components[name]
            if not component.alive():
                raise ControlPlaneError(f"{name} exited:\n{component.tail()}")
            if ready():
                return
            time.sleep(0.2)
        raise ControlPlaneError(
            f"{name} not ready within {timeout:.0f}s:\n{self.components[name].tail()}"
        )

    # -- argv ---------------------------------------------------------------

    def _bin(self, module: str, program: str) -> str:
        return str(self.bins[module] / program)

    def _etcd_argv(self) -> list[str]:
        return [
            self._bin("controlplane", "etcd"),
            f"--data-dir={self.workdir / 'etcd'}",
            f"--client-url=http://127.0.0.1:{self.ports['etcd']}",
            f"--peer-url=http://127.0.0.1:{self.ports['etcd-peer']}",
        ]

    def _apiserver_argv(self) -> list[str]:
        p = self.pki
        return [
            self._bin("controlplane", "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.ports['apiserver']}",
            f"--tls-cert-file={p / 'apiserver.crt'}",
            f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--client-ca-file={p / 'ca.crt'}",
            "--authorization-mode=RBAC",
            "--service-cluster-ip-range=10.0.0.0/24",
            # No kube-proxy here: nothing could reach a "kubernetes" Endpoints address.
            "--endpoint-reconciler-type=none",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            # The aggregator authenticates to metrics-server with the front-proxy client.
            f"--requestheader-client-ca-file={p / 'front-proxy-ca.crt'}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={p / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={p / 'front-proxy-client.key'}",
        ]

    def _client_flags(self) -> list[str]:
        kc = str(self.kubeconfig)
        return [
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
        ]

    def _controller_manager_argv(self) -> list[str]:
        return [
            self._bin("controlplane", "kube-controller-manager"),
            *self._client_flags(),
            "--leader-elect=false",
            "--secure-port=0",
            "--controllers=" + ",".join(CONTROLLERS),
            f"--resource-quota-sync-period={QUOTA_SYNC_SECONDS}s",
        ]

    def _scheduler_argv(self) -> list[str]:
        return [
            self._bin("controlplane", "kube-scheduler"),
            *self._client_flags(),
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
        ]

    def _kwok_argv(self) -> list[str]:
        port = self.ports["kwok"]
        return [
            self._bin("kwok", "kwok"),
            f"--kubeconfig={self.kubeconfig}",
            f"--config={self.workdir / 'kwok.yaml'}",
            f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
            "--node-ip=127.0.0.1",
            f"--node-port={port}",
            f"--server-address=127.0.0.1:{port}",
            f"--tls-cert-file={self.pki / 'admin.crt'}",
            f"--tls-private-key-file={self.pki / 'admin.key'}",
            "--node-lease-duration-seconds=40",
        ]

    def _metrics_server_argv(self) -> list[str]:
        return [
            self._bin("metrics-server", "metrics-server"),
            *self._client_flags(),
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports['metrics-server']}",
            f"--cert-dir={self.workdir / 'metrics-server'}",
            # Every fake node is KWOK itself on 127.0.0.1, serving the kubelet's
            # resource metrics under the path each node's annotation names.
            "--kubelet-preferred-address-types=InternalIP",
            "--kubelet-use-node-status-port",
            "--kubelet-insecure-tls",
            f"--metric-resolution={METRIC_RESOLUTION_SECONDS}s",
            "--kubelet-request-timeout=5s",
        ]

    # -- files ----------------------------------------------------------------

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "loopback",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.pki / "ca.crt"),
                    },
                }
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {
                        "client-certificate": str(self.pki / "admin.crt"),
                        "client-key": str(self.pki / "admin.key"),
                    },
                }
            ],
            "contexts": [{"name": "loopback", "context": {"cluster": "loopback", "user": "admin"}}],
            "current-context": "loopback",
        }
        self.kubeconfig.write_text(json.dumps(config, indent=2))

    def _write_kwok_config(self) -> None:
        share = self.bins["kwok"].parent / "share"
        stages = {f.name: f for f in share.glob("*.yaml")}
        if not stages:
            raise ControlPlaneError(f"no KWOK stages in {share}; rebuild with cluster/build.sh")
        stages |= {f.name: f for f in KWOK_STAGE_OVERRIDES.glob("*.yaml")}
        docs = [stages[name].read_text() for name in sorted(stages)]
        (self.workdir / "kwok.yaml").write_text("\n---\n".join([KWOK_OPTIONS, *docs]))

    # -- API helpers ------------------------------------------------------------

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the pinned kubectl against this cluster; with `check`, fail on a non-zero exit
        with kubectl's own message."""
        done = subprocess.run(
            [self._bin("controlplane", "kubectl"), f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise ControlPlaneError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done

    def apply(self, manifests: list[dict[str, object]]) -> None:
        """`kubectl apply` a list of objects."""
        self.kubectl(
            "apply",
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}),
        )

    def get_json(self, path: str) -> dict[str, object] | None:
        """GET an API path as the admin; None on any non-200 answer."""
        ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.ports["apiserver"], context=ctx)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        except OSError:
            return None
        finally:
            conn.close()
        return json.loads(body) if response.status == 200 else None

    def add_nodes(self, count: int, *, prefix: str = "kwok-node", start: int = 0) -> None:
        """Create `count` fake nodes that KWOK manages."""
        self.apply([fake_node(f"{prefix}-{i}") for i in range(start, start + count)])

    def compact_etcd(self) -> int:
        """Compact etcd at its current revision; returns that revision."""
        done = subprocess.run(
            [
                self._bin("controlplane", "etcd"),
                "compact",
                f"--endpoint=http://127.0.0.1:{self.ports['etcd']}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout.strip())

    def metrics_api_available(self) -> bool:
        """True when the aggregator reports metrics.k8s.io Available (metrics-server answers)."""
        service = self.get_json(
            "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io"
        )
        status: Any = (service or {}).get("status", {})  # the APIService's status, as JSON
        conditions = status.get("conditions", [])
        return any(c["type"] == "Available" and c["status"] == "True" for c in conditions)

    def _etcd_healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports["etcd"]), timeout=1):
                return True
        except OSError:
            return False

    def _apiserver_ready(self) -> bool:
        ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.ports["apiserver"], context=ctx, timeout=5
        )
        try:
            conn.request("GET", "/readyz")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def _default_serviceaccount(self) -> bool:
        return self.get_json("/api/v1/namespaces/default/serviceaccounts/default") is not None

    def _nodes_ready(self, count: int) -> bool:
        nodes = self.get_json("/api/v1/nodes") or {}
        items: Any = nodes.get("items", [])  # the NodeList's items, as JSON
        ready = [
            n
            for n in items
            if not n.get("spec", {}).get("taints")
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in n.get("status", {}).get("conditions", [])
            )
        ]
        return len(ready) >= count

    def _metrics_apiservice(self) -> list[dict[str, object]]:
        port = self.ports["metrics-server"]
        return [
            {
                # The aggregator resolves an ExternalName service to name:port, which
                # is how it reaches a metrics-server that runs on the host's loopback.
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "metrics-server", "namespace": "kube-system"},
                "spec": {
                    "type": "ExternalName",
                    "externalName": "localhost",
                    "ports": [{"name": "https", "port": port}],
                },
            },
            {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {"name": "v1beta1.metrics.k8s.io"},
                "spec": {
                    "group": "metrics.k8s.io",
                    "version": "v1beta1",
                    "groupPriorityMinimum": 100,
                    "versionPriority": 100,
                    "insecureSkipTLSVerify": True,
                    "service": {"name": "metrics-server", "namespace": "kube-system", "port": port},
                },
            },
        ]


def fake_node(name: str, *, cpu: str = "32", memory: str = "256Gi", pods: str = "1000") -> dict:
    """A Node object for KWOK to manage; KWOK fills in its status."""
    allocatable = {"cpu": cpu, "memory": memory, "pods": pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {
                FAKE_NODE_ANNOTATION: "fake",
                "node.alpha.kubernetes.io/ttl": "0",
                # metrics-server reads this to find KWOK's per-node resource metrics.
                "metrics.k8s.io/resource-metrics-path": f"/metrics/nodes/{name}/metrics/resource",
            },
            "labels": {"kubernetes.io/hostname": name, "type": "kwok"},
        },
        "status": {"allocatable": allocatable, "capacity": allocatable},
    }


def env_for(cp: ControlPlane) -> dict[str, str]:
    """Environment for a process that should talk to this cluster."""
    return {**os.environ, "KUBECONFIG": str(cp.kubeconfig)}
