"""The autoscaling/v1 Scale subresource of Deployments: read it, and write spec.replicas."""

from __future__ import annotations

from aiohttp import web

from quotasim.apierrors import SimError
from quotasim.bodies import patch_type, read_body, read_json
from quotasim.cluster import Cluster
from quotasim.patch import apply_patch
from quotasim.routing import Target


def scale_of(deployment: dict) -> dict:
    """The autoscaling/v1 Scale view of a Deployment."""
    meta = deployment["metadata"]
    labels = deployment["spec"].get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {
            "replicas": deployment.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


async def write_scale(cluster: Cluster, request: web.Request, target: Target) -> dict:
    """PUT or PATCH of deployments/<name>/scale: only spec.replicas changes."""
    current = cluster.get(target.rtype, target.namespace or "", target.name or "")
    if request.method == "PUT":
        scale = await read_body(request)
    else:
        scale = apply_patch(patch_type(request), scale_of(current), await read_json(request))
    replicas = _valid_replicas(scale, target.name)
    body = {**current, "spec": {**current["spec"], "replicas": replicas}}
    return cluster.update(target.rtype, body, namespace=target.namespace or "")


def _valid_replicas(scale: dict, name: str | None) -> int:
    spec = scale.get("spec") if isinstance(scale, dict) else None
    replicas = spec.get("replicas") if isinstance(spec, dict) else None
    # bool is an int in Python; JSON true is no replica count.
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise SimError(
            422,
            "Invalid",
            f'Scale.autoscaling "{name}" is invalid: '
            "spec.replicas: Invalid value: must be greater than or equal to 0",
        )
    return replicas
