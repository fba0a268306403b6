"""Watch robustness against the real apiserver: a real 410 after etcd compaction, an
apiserver killed and restarted under a running daemon, and bookmarks that advance
the resourceVersion of a quiet kind."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable

import pytest

from cluster.launcher import ControlPlane
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import labels, wait_pods_running

NS = "watched"
NAMESPACE = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{team: watchers}}}}
"""


def pod(name: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {NS}}}
spec:
  containers:
  - name: main
    image: registry.example.com/w:1
    resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}
"""


def pods_in_daemon(daemon: DaemonProcess) -> float:
    key = labels(namespace=NS, team="watchers", phase="Running")
    return daemon.samples().get(("quotameter_namespace_pods", key), 0.0)


def relists(daemon: DaemonProcess, kind: str, reason: str) -> float:
    key = labels(kind=kind, reason=reason)
    return daemon.samples().get(("quotameter_informer_relists_total", key), 0.0)


def log_events(daemon: DaemonProcess, event: str) -> list[dict]:
    lines = daemon.log.read_text().splitlines()
    return [e for e in map(json.loads, filter(None, lines)) if e.get("event") == event]


@pytest.fixture(scope="module")
def watched(control_plane: ControlPlane) -> ControlPlane:
    control_plane.kubectl("apply", "-f", "-", input=NAMESPACE + "---" + pod("first"))
    wait_pods_running(control_plane, NS, 1)
    return control_plane


def test_compaction_past_the_daemons_version_gives_410_and_relist(
    watched: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    assert relists(daemon, "pods", "gone") == 0
    # A write the daemon does not watch moves etcd's revision past every version it holds.
    watched.kubectl("create", "configmap", "bump", "-n", NS)
    watched.stop_component("kube-apiserver")
    watched.compact_etcd()
    watched.start_component("kube-apiserver")
    wait_for(lambda: relists(daemon, "pods", "gone") >= 1, within=60, what="a relist after 410")
    assert any(e["reason"] == "gone" for e in log_events(daemon, "watch.restarted"))
    watched.kubectl("apply", "-f", "-", input=pod("after-compaction"))
    wait_pods_running(watched, NS, 2)
    wait_for(lambda: pods_in_daemon(daemon) == 2, within=15, what="the new pod after relist")


def test_apiserver_killed_and_restarted_daemon_converges(
    watched: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon()
    before = pods_in_daemon(daemon)
    watched.components["kube-apiserver"].stop(sig=signal.SIGKILL)
    watched.start_component("kube-apiserver")
    watched.kubectl("apply", "-f", "-", input=pod("after-restart"))
    running = int(before) + 1
    wait_pods_running(watched, NS, running)
    wait_for(lambda: pods_in_daemon(daemon) == running, within=60, what="the daemon to converge")
    assert daemon.process.poll() is None  # the same process, never restarted
    assert daemon.get("/readyz")[0] == 200


def test_bookmarks_advance_a_quiet_kinds_resource_version(
    watched: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    daemon = run_daemon(
        env={"QUOTAMETER_LOG_LEVEL": "debug", "QUOTAMETER_WATCH_TIMEOUT_SECONDS": "20"}
    )
    listed = next(e for e in log_events(daemon, "list.done") if e["kind"] == "limitranges")
    bookmark = labels(kind="limitranges", type="BOOKMARK")
    wait_for(
        lambda: daemon.samples().get(("quotameter_informer_events_total", bookmark), 0) >= 1,
        within=100,
        what="a bookmark on the limitranges watch",
    )

    def advanced() -> bool:
        closes = [e for e in log_events(daemon, "watch.closed") if e["kind"] == "limitranges"]
        return any(int(e["resource_version"]) > int(listed["resource_version"]) for e in closes)

    wait_for(advanced, within=30, what="a watch to close past the listed resourceVersion")
    # No LimitRange changed while this daemon ran: only bookmarks can have moved it.
    changes = {
        t: n
        for (name, key), n in daemon.samples().items()
        if name == "quotameter_informer_events_total"
        and dict(key)["kind"] == "limitranges"
        and (t := dict(key)["type"]) != "BOOKMARK"
    }
    assert sum(changes.values()) == 0, changes
