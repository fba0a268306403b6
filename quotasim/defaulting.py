"""What the API server fills in on create: defaults, and (standing in for the
scheduler and kubelet) a node and a running status for each pod.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from quotasim.podresources import requests_defaulted_from_limits
from quotasim.qos import qos_class

if TYPE_CHECKING:
    from quotasim.cluster import Cluster

PHASE_ANNOTATION = "sim.quotameter.io/phase"


# -- defaulting ---------------------------------------------------------------------------


def default_object(cluster: Cluster, rtype, obj: dict) -> None:
    """Fill the fields the API server defaults for the kinds we model."""
    kind = rtype.kind
    if kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif kind == "Pod":
        _default_pod_spec(obj.setdefault("spec", {}))
    elif kind == "ResourceQuota":
        hard = dict(obj.get("spec", {}).get("hard", {}))
        obj["status"] = {"hard": hard, "used": obj.get("status", {}).get("used", {})}
    elif kind == "Deployment":
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        )
        _default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))
    elif kind == "PersistentVolumeClaim":
        _default_pvc(obj)
    elif kind == "Node":
        _default_node(obj)
    elif kind == "LimitRange":
        for item in obj.get("spec", {}).get("limits", []):
            _default_limitrange_item(item)


def _default_pod_spec(spec: dict) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        # API defaulting (before admission): a limit without a request sets the request.
        c["resources"] = requests_defaulted_from_limits(c)


def _default_limitrange_item(item: dict) -> None:
    """A Container item's default comes from max, its defaultRequest from default, then min."""
    if item.get("type") != "Container":
        return
    default = item.setdefault("default", {})
    for source, target in (("max", default), ("default", None), ("min", None)):
        for name, value in (item.get(source) or {}).items():
            into = target if target is not None else item.setdefault("defaultRequest", {})
            into.setdefault(name, value)


def _default_pvc(pvc: dict) -> None:
    spec = pvc.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    annotations = pvc["metadata"].get("annotations", {})
    phase = annotations.get(PHASE_ANNOTATION, "Bound")
    if phase == "Bound":
        spec.setdefault("volumeName", f"pvc-{pvc['metadata'].get('uid', '')}")
        pvc["status"] = {
            "phase": "Bound",
            "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
            "capacity": {
                "storage": spec.get("resources", {}).get("requests", {}).get("storage", "0")
            },
        }
    else:
        pvc["status"] = {"phase": phase}


def _default_node(node: dict) -> None:
    status = node.setdefault("status", {})
    status.setdefault("capacity", {"cpu": "4", "memory": "16Gi", "pods": "110"})
    status.setdefault("allocatable", dict(status["capacity"]))
    status.setdefault(
        "conditions",
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
            }
        ],
    )
    status.setdefault("nodeInfo", _node_info(node["metadata"]["name"]))
    status.setdefault(
        "addresses",
        [
            {"type": "InternalIP", "address": "10.0.0.1"},
            {"type": "Hostname", "address": node["metadata"]["name"]},
        ],
    )


def _node_info(name: str) -> dict:
    # Every field the kubelet reports: the official client's models require them all.
    machine = uuid.uuid5(uuid.NAMESPACE_DNS, name)
    return {
        "machineID": machine.hex,
        "systemUUID": str(machine),
        "bootID": str(uuid.uuid5(machine, "boot")),
        "kernelVersion": "6.1.0-28-cloud-amd64",
        "osImage": "Debian GNU/Linux 12 (bookworm)",
        "containerRuntimeVersion": "containerd://1.7.27",
        "kubeletVersion": "v1.32.4",
        "kubeProxyVersion": "v1.32.4",
        "operatingSystem": "linux",
        "architecture": "amd64",
    }


# -- scheduling and pod status --------------------------------------------------------------


def schedule_pod(cluster: Cluster, pod: dict) -> None:
    """Bind the pod to a node and give it the status a running pod has."""
    phase = pod["metadata"].get("annotations", {}).get(PHASE_ANNOTATION, "Running")
    spec = pod["spec"]
    node = spec.get("nodeName") or (cluster.scheduler.pick(spec) if phase != "Pending" else None)
    if node:
        spec["nodeName"] = node
    pod["status"] = _pod_status(cluster, pod, phase if node or phase != "Running" else "Pending")


class Scheduler:
    """A stand-in for kube-scheduler: round-robin over the nodes a pod may use.

    It honours nodeSelector, NoSchedule/NoExecute taints and GPU requests; capacity
    is not checked. Candidate lists are cached per pod shape, so bulk loads of
    100,000 pods over 1,000 nodes stay fast.
    """

    def __init__(self, nodes: Callable[[], Iterable[dict]]) -> None:
        self._nodes = nodes
        self._candidates: dict[tuple, list[str]] = {}
        self._cursor: Counter[tuple] = Counter()

    def nodes_changed(self) -> None:
        """Forget cached candidates after a Node is written or deleted."""
        self._candidates.clear()

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


def _pod_status(cluster: Cluster, pod: dict, phase: str) -> dict:
    now = cluster.now_iso()
    containers = pod["spec"].get("containers", [])
    running = phase == "Running"
    node = pod["spec"].get("nodeName")
    n = int(cluster.rng.random() * 60000)
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
