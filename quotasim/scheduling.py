"""Standing in for kube-scheduler and the kubelet: a node for each pod and the status
a running (or Pending, Succeeded, Failed) pod reports."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable

from quotasim.defaulting import PHASE_ANNOTATION
from quotasim.qos import qos_class
from quotasim.timestamps import api_time


class Scheduler:
    """A stand-in for kube-scheduler: round-robin over the nodes a pod may use.

    It honours nodeSelector, NoSchedule/NoExecute taints and GPU requests; capacity
    is not checked. Candidate lists are cached per pod shape, so bulk loads of
    100,000 pods over 1,000 nodes stay fast.
    """

    def __init__(
        self, nodes: Callable[[], Iterable[dict]], *, rng: random.Random, clock: Callable[[], float]
    ) -> None:
        self._nodes = nodes
        self.rng, self.clock = rng, clock
        self._candidates: dict[tuple, list[str]] = {}
        self._cursor: Counter[tuple] = Counter()

    def nodes_changed(self) -> None:
        """Forget cached candidates after a Node is written or deleted."""
        self._candidates.clear()

    def schedule(self, pod: dict) -> None:
        """Bind the pod to a node and give it the status a running pod has."""
        phase = pod["metadata"].get("annotations", {}).get(PHASE_ANNOTATION, "Running")
        spec = pod["spec"]
        node = spec.get("nodeName") or (self.pick(spec) if phase != "Pending" else None)
        if node:
            spec["nodeName"] = node
        running_or_not = phase if node or phase != "Running" else "Pending"
        pod["status"] = _pod_status(pod, running_or_not, now=api_time(self.clock()), rng=self.rng)

    def pick(self, spec: dict) -> str | None:
        """The node for a pod spec, or None when no node fits."""
        key = _shape(spec)
        candidates = self._candidates.get(key)
        if candidates is None:
            wants_gpu = key[1]
            candidates = [n["metadata"]["name"] for n in self._nodes() if _fits(n, spec, wants_gpu)]
            self._candidates[key] = candidates
        if not candidates:
            return None
        self._cursor[key] += 1
        return candidates[self._cursor[key] % len(candidates)]


def _shape(spec: dict) -> tuple:
    """What decides where a pod may run: selector, GPU wish, tolerations."""
    wants_gpu = any(
        "nvidia.com/gpu" in (c.get("resources") or {}).get("limits", {})
        for c in spec.get("containers", [])
    )
    tolerations = tuple(sorted(repr(sorted(t.items())) for t in spec.get("tolerations", [])))
    return (tuple(sorted(spec.get("nodeSelector", {}).items())), wants_gpu, tolerations)


def _fits(node: dict, spec: dict, wants_gpu: bool) -> bool:
    labels = node["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in spec.get("nodeSelector", {}).items()):
        return False
    if wants_gpu and "nvidia.com/gpu" not in node.get("status", {}).get("allocatable", {}):
        return False
    tolerations = spec.get("tolerations", [])
    return all(
        _tolerated(t, tolerations)
        for t in node.get("spec", {}).get("taints", [])
        if t.get("effect") in ("NoSchedule", "NoExecute")
    )


def _tolerated(taint: dict, tolerations: list[dict]) -> bool:
    return any(
        (t.get("operator") == "Exists" and t.get("key") in (None, taint["key"]))
        or (t.get("key") == taint["key"] and t.get("value") == taint.get("value"))
        for t in tolerations
    )


def _pod_status(pod: dict, phase: str, *, now: str, rng: random.Random) -> dict:
    containers = pod["spec"].get("containers", [])
    running = phase == "Running"
    node = pod["spec"].get("nodeName")
    n = int(rng.random() * 60000)
    status: dict = {
        "phase": phase,
        "qosClass": qos_class(pod["spec"]),
        "conditions": [
            {
                "type": t,
                "status": "True" if running or (t == "PodScheduled" and node) else "False",
                "lastTransitionTime": now,
            }
            for t in (
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            )
        ],
        "containerStatuses": [_container_status(c, phase, now) for c in containers],
    }
    if node:
        status |= {
            "hostIP": "10.0.0.1",
            "podIP": f"10.244.{n // 250}.{n % 250 + 2}",
            "startTime": now,
        }
        status["podIPs"] = [{"ip": status["podIP"]}]
    return status


def _container_status(container: dict, phase: str, now: str) -> dict:
    state: dict[str, dict[str, object]]
    if phase == "Running":
        state = {"running": {"startedAt": now}}
    elif phase in ("Succeeded", "Failed"):
        code = 0 if phase == "Succeeded" else 1
        state = {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": now,
                "finishedAt": now,
            }
        }
    else:
        state = {"waiting": {"reason": "ContainerCreating"}}
    return {
        "name": container["name"],
        "image": container.get("image", ""),
        "imageID": "",
        "ready": phase == "Running",
        "started": phase == "Running",
        "restartCount": 0,
        "state": state,
    }
