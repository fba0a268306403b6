"""Controllers of the simulated control plane: ResourceQuota status and the
Deployment/ReplicaSet controller. (The Event recorder they report through is in `events`.)
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING

from quotasim.quota.recount import quota_used
from quotasim.resources import RESOURCES

if TYPE_CHECKING:
    from quotasim.cluster import Cluster

_COUNTED = [r for r in RESOURCES if r.namespaced and r.group != "metrics.k8s.io"]


# -- ResourceQuota status ---------------------------------------------------------------------


def refresh_quotas(cluster: Cluster, namespace: str) -> None:
    """Recompute status.used of every quota in a namespace, as the quota controller does."""
    from quotasim.cluster import PVC, QUOTA

    quotas = cluster.store.namespace_items(QUOTA, namespace)
    if not quotas:
        return
    pods, pvcs = cluster.pods(namespace), cluster.store.namespace_items(PVC, namespace)
    counts = {_count_key(r): cluster.store.count(r, namespace) for r in _COUNTED}
    for quota in quotas:
        used = quota_used(quota, pods=pods, pvcs=pvcs, object_counts=counts)
        hard = dict(quota.get("spec", {}).get("hard", {}))
        status = quota.get("status", {})
        if status.get("used") != used or status.get("hard") != hard:
            cluster.store.put(
                QUOTA,
                {
                    **quota,
                    "metadata": dict(quota["metadata"]),
                    "status": {"hard": hard, "used": used},
                },
            )


def _count_key(rtype) -> str:
    return f"count/{rtype.plural}" + (f".{rtype.group}" if rtype.group else "")


# -- Deployments ------------------------------------------------------------------------------


def reconcile_deployment(cluster: Cluster, dep: dict) -> None:
    """Bring the Deployment's pods to spec.replicas, as its ReplicaSet controller would."""
    from quotasim.cluster import template_hash

    ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
    template = dep["spec"].get("template", {})
    pod_hash = template_hash(template)
    owned = [p for p in cluster.pods(ns) if _owner_deployment(p) == name]
    for pod in owned:
        if pod["metadata"].get("labels", {}).get("pod-template-hash") != pod_hash:
            _remove_pod(cluster, pod)  # a new template replaces the old pods
    current = sorted(
        (p for p in owned if p["metadata"]["labels"].get("pod-template-hash") == pod_hash),
        key=lambda p: p["metadata"]["creationTimestamp"],
    )
    want = int(dep["spec"].get("replicas", 1))
    for pod in current[want:][::-1]:
        _remove_pod(cluster, pod)
    created = _create_in_batches(cluster, dep, pod_hash, want - len(current))
    _update_deployment_status(cluster, dep, min(want, len(current)) + created)


def _create_in_batches(cluster: Cluster, dep: dict, pod_hash: str, missing: int) -> int:
    """Slow-start creation (batches 1, 2, 4, ...), stopping after a batch with failures."""
    created, batch = 0, 1
    while missing > 0:
        size = min(batch, missing)
        ok = sum(_create_pod(cluster, dep, pod_hash) for _ in range(size))
        created += ok
        missing -= size
        if ok < size:
            break
        batch *= 2
    return created


def _create_pod(cluster: Cluster, dep: dict, pod_hash: str) -> bool:
    from quotasim.apierrors import SimError
    from quotasim.cluster import POD

    rs = _replicaset_ref(dep, pod_hash)
    template = dep["spec"].get("template", {})
    # Newer API servers generate the name before admission, so refusals name the pod.
    name = f"{rs['name']}-{cluster.random_suffix()}"
    pod = _pod_from_template(template, rs, name=name, pod_hash=pod_hash)
    try:
        cluster.create(POD, pod, namespace=rs["namespace"])
    except SimError as e:
        cluster.events.record(
            rs, kind="Warning", reason="FailedCreate", message=f"Error creating: {e.message}"
        )
        return False
    cluster.events.record(
        rs, kind="Normal", reason="SuccessfulCreate", message=f"Created pod: {name}"
    )
    return True


def _pod_from_template(template: dict, rs: dict, *, name: str, pod_hash: str) -> dict:
    """A pod of the ReplicaSet `rs` from a copy of its template."""
    template = copy.deepcopy(template)
    meta = template.get("metadata", {})
    return {
        "metadata": {
            **meta,
            "name": name,
            "generateName": f"{rs['name']}-",
            "namespace": rs["namespace"],
            "labels": {**meta.get("labels", {}), "pod-template-hash": pod_hash},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs["name"],
                    "uid": rs["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template.get("spec", {}),
    }


def _replicaset_ref(dep: dict, pod_hash: str) -> dict:
    meta = dep["metadata"]
    uid = uuid.uuid5(uuid.UUID(meta["uid"]), pod_hash)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "namespace": meta["namespace"],
        "name": f"{meta['name']}-{pod_hash}",
        "uid": str(uid),
    }


def _owner_deployment(pod: dict) -> str | None:
    """The Deployment a pod belongs to, from its ReplicaSet owner's name."""
    for ref in pod["metadata"].get("ownerReferences", []):
        if ref.get("kind") == "ReplicaSet":
            return ref["name"].rsplit("-", 1)[0]
    return None


def _remove_pod(cluster: Cluster, pod: dict) -> None:
    from quotasim.cluster import POD

    meta = pod["metadata"]
    cluster.store.remove(POD, meta["namespace"], meta["name"])


def _update_deployment_status(cluster: Cluster, dep: dict, ready: int) -> None:
    from quotasim.cluster import DEPLOYMENT

    current = cluster.store.get(DEPLOYMENT, dep["metadata"]["namespace"], dep["metadata"]["name"])
    if current is None:
        return
    status = {
        "observedGeneration": current["metadata"].get("generation", 1),
        "replicas": ready,
        "updatedReplicas": ready,
        "readyReplicas": ready,
        "availableReplicas": ready,
    }
    want = int(current["spec"].get("replicas", 1))
    if ready < want:
        status["unavailableReplicas"] = want - ready
    if current.get("status") != status:
        cluster.store.put(
            DEPLOYMENT, {**current, "metadata": dict(current["metadata"]), "status": status}
        )


def reconcile_owner(cluster: Cluster, pod: dict) -> None:
    """A deleted pod of a Deployment is replaced, as its ReplicaSet would."""
    from quotasim.cluster import DEPLOYMENT

    owner = _owner_deployment(pod)
    if owner:
        dep = cluster.store.get(DEPLOYMENT, pod["metadata"]["namespace"], owner)
        if dep is not None:
            reconcile_deployment(cluster, dep)


def delete_owned_pods(cluster: Cluster, dep: dict) -> None:
    """Garbage-collect the pods of a deleted Deployment."""
    name = dep["metadata"]["name"]
    for pod in cluster.pods(dep["metadata"]["namespace"]):
        if _owner_deployment(pod) == name:
            _remove_pod(cluster, pod)
