"""metrics.k8s.io usage of the simulated pods and nodes, as metrics-server reports it.

A pod's usage is a ratio of its requests (annotation `sim.quotameter.io/usage-ratio`,
moved by churn), formatted as metrics-server formats it: CPU in nanocores, memory in Ki.
"""

from __future__ import annotations

from quotasim.cluster import Cluster
from quotasim.quantities import Quantity, QuantityError

USAGE_ANNOTATION = "sim.quotameter.io/usage-ratio"
DEFAULT_RATIO = 0.5
_IDLE = {"cpu": 2_000_000, "memory": 16 * 2**20}  # a container with no request still uses some


def container_usage(container: dict, ratio: float) -> dict[str, str]:
    """Usage of one container: ratio x request, as metrics-server strings."""
    requests = container.get("resources", {}).get("requests", {})
    cpu_nanos = _scaled(requests.get("cpu"), ratio * 1e9, _IDLE["cpu"])
    mem_bytes = _scaled(requests.get("memory"), ratio, _IDLE["memory"])
    return {"cpu": f"{cpu_nanos}n", "memory": f"{mem_bytes // 1024}Ki"}


def _scaled(request: object, factor: float, fallback: int) -> int:
    if request is None:
        return fallback
    try:
        return max(0, round(Quantity.decode(request).nanos / 1e9 * factor))
    except QuantityError:
        return fallback


def pod_ratio(cluster: Cluster, pod: dict) -> float:
    """The pod's current usage ratio: churn's value, else its annotation, else the default."""
    meta = pod["metadata"]
    key = (meta["namespace"], meta["name"])
    if key in cluster.usage:
        return cluster.usage[key]
    try:
        return float(meta.get("annotations", {}).get(USAGE_ANNOTATION, DEFAULT_RATIO))
    except ValueError:
        return DEFAULT_RATIO


def pod_metrics(cluster: Cluster, pod: dict) -> dict | None:
    """The PodMetrics object of a running pod, None for pods metrics-server would not list."""
    if pod.get("status", {}).get("phase") != "Running":
        return None
    meta, ratio = pod["metadata"], pod_ratio(cluster, pod)
    return {
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "creationTimestamp": cluster.now_iso(),
            "labels": meta.get("labels", {}),
        },
        "timestamp": cluster.now_iso(),
        "window": "15s",
        "containers": [
            {"name": c["name"], "usage": container_usage(c, ratio)}
            for c in pod["spec"].get("containers", [])
        ],
    }


def node_metrics(cluster: Cluster, node: dict, pods: list[dict]) -> dict:
    """The NodeMetrics object of a node: the sum of its pods' usage."""
    cpu = mem = 0
    for pod in pods:
        metrics = pod_metrics(cluster, pod)
        for c in metrics["containers"] if metrics else []:
            cpu += int(c["usage"]["cpu"][:-1])
            mem += int(c["usage"]["memory"][:-2])
    return {
        "metadata": {
            "name": node["metadata"]["name"],
            "creationTimestamp": cluster.now_iso(),
            "labels": node["metadata"].get("labels", {}),
        },
        "timestamp": cluster.now_iso(),
        "window": "20s",
        "usage": {"cpu": f"{cpu}n", "memory": f"{mem}Ki"},
    }
