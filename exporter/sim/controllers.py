"""Controllers of the simulated control plane: ResourceQuota status, the
Deployment/ReplicaSet controller, and the Event recorder with client-go's
correlation (repeats bump `count`; many similar messages are combined).
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from exporter.sim import admission
from exporter.sim.resources import RESOURCES

if TYPE_CHECKING:
    from exporter.sim.cluster import Cluster

MAX_SIMILAR_EVENTS = 10  # client-go's EventCorrelator combines from this many messages on
AGGREGATE_WINDOW_SECONDS = 600
COMBINED_PREFIX = "(combined from similar events): "
EVENT_TTL_SECONDS = 3600  # kube-apiserver's default --event-ttl
_COUNTED = [r for r in RESOURCES if r.namespaced and r.group != "metrics.k8s.io"]


# -- ResourceQuota status ---------------------------------------------------------------------


def refresh_quotas(cluster: Cluster, namespace: str) -> None:
    """Recompute status.used of every quota in a namespace, as the quota controller does."""
    from exporter.sim.cluster import PVC, QUOTA

    quotas = cluster.store.namespace_items(QUOTA, namespace)
    if not quotas:
        return
    pods, pvcs = cluster.pods(namespace), cluster.store.namespace_items(PVC, namespace)
    counts = {_count_key(r): cluster.store.count(r, namespace) for r in _COUNTED}
    for quota in quotas:
        used = admission.quota_used(quota, pods=pods, pvcs=pvcs, object_counts=counts)
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
    from exporter.sim.cluster import template_hash

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
    from exporter.sim.apierrors import SimError
    from exporter.sim.cluster import POD

    rs = _replicaset_ref(dep, pod_hash)
    template = copy.deepcopy(dep["spec"].get("template", {}))
    meta = template.get("metadata", {})
    # Newer API servers generate the name before admission, so refusals name the pod.
    name = f"{rs['name']}-{cluster.random_suffix()}"
    pod = {
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
    from exporter.sim.cluster import POD

    meta = pod["metadata"]
    cluster.store.remove(POD, meta["namespace"], meta["name"])


def _update_deployment_status(cluster: Cluster, dep: dict, ready: int) -> None:
    from exporter.sim.cluster import DEPLOYMENT

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
    from exporter.sim.cluster import DEPLOYMENT

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


# -- Events -----------------------------------------------------------------------------------


@dataclass
class _Similar:
    """Distinct messages seen for one (object, reason) within the window."""

    # A dict, not a set: which message is dropped must not depend on hash seeds.
    messages: dict[str, None] = field(default_factory=dict)
    last_seen: float = 0.0
    combined_event: str | None = None


class EventRecorder:
    """Records Events as client-go's recorder does: dedupe by message, combine past 10."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._similar: dict[tuple, _Similar] = {}
        self._by_message: dict[tuple, str] = {}
        # name -> (count, firstTimestamp): an expired Event that repeats is recreated
        # under its old name with count + 1, as client-go's recorder does.
        self._last: dict[str, tuple[int, str]] = {}
        self._seq = 0

    def expire(self, *, ttl: float = EVENT_TTL_SECONDS) -> int:
        """Delete Events last seen more than `ttl` seconds ago (the API server's --event-ttl)."""
        from exporter.sim.cluster import EVENT

        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.cluster.clock() - ttl))
        stale = [e for e in self.cluster.store.iter(EVENT) if e.get("lastTimestamp", "") < cutoff]
        for event in stale:
            self.cluster.store.remove(
                EVENT, event["metadata"]["namespace"], event["metadata"]["name"]
            )
        return len(stale)

    def record(
        self,
        involved: dict,
        *,
        kind: str,
        reason: str,
        message: str,
        component: str = "replicaset-controller",
    ) -> dict:
        """Record one occurrence; returns the Event object as stored."""
        agg_key = (
            component,
            involved["kind"],
            involved["namespace"],
            involved["name"],
            involved.get("uid", ""),
            kind,
            reason,
        )
        now = self.cluster.clock()
        similar = self._similar.setdefault(agg_key, _Similar())
        if now - similar.last_seen > AGGREGATE_WINDOW_SECONDS:
            similar.messages.clear()  # the combined Event itself outlives the window
        similar.last_seen = now
        similar.messages[message] = None
        if len(similar.messages) < MAX_SIMILAR_EVENTS:
            key = (agg_key, message)
            event = self._bump_or_create(
                self._by_message.get(key), involved, kind, reason, message, component
            )
            self._by_message[key] = event["metadata"]["name"]
            return event
        del similar.messages[next(iter(similar.messages))]
        event = self._bump_or_create(
            similar.combined_event, involved, kind, reason, COMBINED_PREFIX + message, component
        )
        similar.combined_event = event["metadata"]["name"]
        return event

    def _bump_or_create(
        self, name: str | None, involved: dict, kind: str, reason: str, message: str, component: str
    ) -> dict:
        from exporter.sim.cluster import EVENT

        ns, now = involved["namespace"], self.cluster.now_iso()
        existing = self.cluster.store.get(EVENT, ns, name) if name else None
        if existing is not None:
            stored = self.cluster.store.put(
                EVENT,
                {
                    **existing,
                    "metadata": dict(existing["metadata"]),
                    "count": existing.get("count", 1) + 1,
                    "message": message,
                    "lastTimestamp": now,
                },
            )
            self._last[stored["metadata"]["name"]] = (stored["count"], stored["firstTimestamp"])
            return stored
        self._seq += 1
        stamp = int(self.cluster.clock() * 1e9) + self._seq
        count, first = self._last.get(name, (0, now)) if name else (0, now)
        name = name if name and count else f"{involved['name']}.{stamp:x}"
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": ns,
                "uid": str(uuid.UUID(int=self.cluster.rng.getrandbits(128), version=4)),
                "creationTimestamp": now,
            },
            "involvedObject": dict(involved),
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": first,
            "lastTimestamp": now,
            "count": count + 1,
            "type": kind,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        self._last[name] = (count + 1, first)
        return self.cluster.store.put(EVENT, event)
