"""Fixtures for the real control plane (`make test-cluster`): one cluster per session,
and `quotameter run` processes watching it the way users start them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cluster.launcher import ControlPlane, build
from tests.cluster.helming import Helm
from tests.cluster.processes import DaemonProcess, start_daemon


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd, kube-apiserver, controllers, scheduler, KWOK and metrics-server on loopback."""
    with ControlPlane.start(tmp_path_factory.mktemp("control-plane")) as cp:
        yield cp


@pytest.fixture
def run_daemon(
    tmp_path: Path, control_plane: ControlPlane
) -> Iterator[Callable[..., DaemonProcess]]:
    """A factory: `run_daemon()` starts a ready daemon as the cluster admin."""
    started: list[DaemonProcess] = []

    def run(*, kubeconfig: Path | None = None, env: dict[str, str] | None = None) -> DaemonProcess:
        d = start_daemon(
            tmp_path / f"daemon-{len(started)}",
            kubeconfig=kubeconfig or control_plane.kubeconfig,
            env=env,
        )
        started.append(d)
        d.wait_ready()
        return d

    yield run
    stopped = [(d, d.stop()) for d in started]  # every one reaped before any assert
    for d, code in stopped:
        assert code == 0, f"quotameter run exited {code} on SIGTERM:\n{d.tail(40)}"


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """helm from cluster/helm (built, or taken from the cache, by cluster/build.sh)."""
    binary = build("helm")["helm"] / "helm"
    assert binary.is_file(), f"cluster/build.sh made no {binary}"
    return Helm(binary=binary, home=tmp_path_factory.mktemp("helm"))
