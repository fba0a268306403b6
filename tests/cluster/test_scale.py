"""Scale: 10,000 pods in 500 namespaces created through the real API on KWOK nodes; the
daemon's state equals the apiserver's, namespace by namespace."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest

from cluster.launcher import ControlPlane
from cluster.populate import Target, populate
from tests.cluster.processes import DaemonProcess, wait_for
from tests.cluster.reading import get_json, quantity

NAMESPACES, PODS_PER_NAMESPACE, NODES = 500, 20, 20


def test_ten_thousand_pods_equal_the_apiserver(
    control_plane: ControlPlane, run_daemon: Callable[..., DaemonProcess]
) -> None:
    cp = control_plane
    cp.add_nodes(NODES)  # kwok-node-0..19, 1000 pods each
    asyncio.run(
        populate(
            Target.from_kubeconfig(cp.kubeconfig),
            namespaces=NAMESPACES,
            pods_per_namespace=PODS_PER_NAMESPACE,
            nodes=NODES,
            progress=False,
        )
    )
    total = NAMESPACES * PODS_PER_NAMESPACE

    # Asks only for the pods not Running yet: listing all 10,000 every poll took CPU from
    # the apiserver and KWOK on 2 cores, and once made the pods miss the deadline.
    def all_running() -> bool:
        waiting = cp.kubectl(
            "get", "pods", "-A", "-l", "app=app", "--field-selector=status.phase!=Running",
            "-o", "name",
        ).stdout  # fmt: skip
        return not waiting.strip()

    wait_for(all_running, within=300, every=2, what=f"{total} pods Running on KWOK")
    daemon = run_daemon()
    samples = daemon.samples()

    pods = get_json(cp, "pods", "-A", "-l", "app=app")["items"]
    truth_pods = Counter(
        p["metadata"]["namespace"] for p in pods if p["status"]["phase"] == "Running"
    )
    truth_cpu: defaultdict[str, float] = defaultdict(float)
    for p in pods:
        for c in p["spec"]["containers"]:
            truth_cpu[p["metadata"]["namespace"]] += quantity(c["resources"]["requests"]["cpu"])
    ours_pods = {
        dict(k)["namespace"]: v
        for (name, k), v in samples.items()
        if name == "quotameter_namespace_pods"
        and dict(k)["phase"] == "Running"
        and dict(k)["namespace"].startswith("team-")
    }
    ours_cpu = {
        dict(k)["namespace"]: v
        for (name, k), v in samples.items()
        if name == "quotameter_namespace_requests"
        and dict(k)["resource"] == "cpu"
        and dict(k)["namespace"].startswith("team-")
    }
    assert len(truth_pods) == NAMESPACES
    assert sum(truth_pods.values()) == total
    assert ours_pods == dict(truth_pods)
    assert ours_cpu == pytest.approx(dict(truth_cpu))

    quotas = get_json(cp, "resourcequota", "-A")["items"]
    expected_used = {
        (q["metadata"]["namespace"], key): quantity(v)
        for q in quotas
        if q["metadata"]["namespace"].startswith("team-")
        for key, v in q["status"]["used"].items()
    }
    ours_used = {
        (dict(k)["namespace"], dict(k)["resource"]): v
        for (name, k), v in samples.items()
        if name == "quotameter_quota_used" and dict(k)["namespace"].startswith("team-")
    }
    assert len(expected_used) == NAMESPACES * 5
    assert ours_used == pytest.approx(expected_used)
