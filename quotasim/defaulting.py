"""What the API server fills in on create and update: the defaults of the kinds we model.
(The node and the running status a pod gets come from `scheduling`.)"""

from __future__ import annotations

import uuid

from quotasim.podresources import requests_defaulted_from_limits
from quotasim.resources import ResourceType

PHASE_ANNOTATION = "sim.quotameter.io/phase"


# -- defaulting ---------------------------------------------------------------------------


def default_object(rtype: ResourceType, obj: dict) -> None:
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
