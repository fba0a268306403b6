"""Controllers of the simulated control plane: ResourceQuota status and the
Deployment/ReplicaSet controller. (The Event recorder they report through is in `events`.)
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable, Iterable

from quotasim.apierrors import SimError
from quotasim.events import EventRecorder
from quotasim.kinds import DEPLOYMENT, POD, PVC, QUOTA
from quotasim.quota.recount import quota_used
from quotasim.resources import RESOURCES
from quotasim.store import Store

_COUNTED = [r for r in RESOURCES if r.namespaced and r.group != "metrics.k8s.io"]
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what generateName draws from


# -- ResourceQuota status ---------------------------------------------------------------------


def refresh_quotas(store: Store, namespace: str) -> None:
    """Recompute status.used of every quota in a namespace, as the quota controller does."""
    quotas = store.namespace_items(QUOTA, namespace)
    if not quotas:
        return
    pods, pvcs = store.namespace_items(POD, namespace), store.namespace_items(PVC, namespace)
    counts = {_count_key(r): store.count(r, namespace) for r in _COUNTED}
    for quota in quotas:
        used = quota_used(quota, pods=pods, pvcs=pvcs, object_counts=counts)
        hard = dict(quota.get("spec", {}).get("hard", {}))
        status = quota.get("status", {})
        if status.get("used") != used or status.get("hard") != hard:
            store.put(
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


class DeploymentController:
    """The Deployment and ReplicaSet controllers in one: pods to spec.replicas, Events on
    the ReplicaSet. Pods are created through `create_pod`, so admission applies."""

    def __init__(
        self,
        *,
        store: Store,
        events: EventRecorder,
        create_pod: Callable[[dict, str], dict],
        suffix: Callable[[], str],
        clock: Callable[[], float],
    ) -> None:
        self.store, self.events, self.create_pod, self.suffix = store, events, create_pod, suffix
        self.clock = clock
        # (namespace, name) -> (when to try again, refused syncs in a row), as the real
        # controller's work queue requeues a ReplicaSet whose pod creation failed.
        self.retries: dict[tuple[str, str], tuple[float, int]] = {}

    def reconcile(self, dep: dict) -> None:
        """Bring the Deployment's pods to spec.replicas, as its ReplicaSet controller would."""
        ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
        pod_hash = template_hash(dep["spec"].get("template", {}))
        owned = [p for p in self.store.namespace_items(POD, ns) if _owner_deployment(p) == name]
        for pod in owned:
            if pod["metadata"].get("labels", {}).get("pod-template-hash") != pod_hash:
                self._remove(pod)  # a new template replaces the old pods
        current = sorted(
            (p for p in owned if p["metadata"]["labels"].get("pod-template-hash") == pod_hash),
            key=lambda p: p["metadata"]["creationTimestamp"],
        )
        want = int(dep["spec"].get("replicas", 1))
        for pod in current[want:][::-1]:
            self._remove(pod)
        created = self._create_in_batches(dep, pod_hash, want - len(current))
        self._update_status(dep, min(want, len(current)) + created)
        self._requeue((ns, name), refused=want - len(current) - created > 0)

    def retry_due(self) -> None:
        """Sync again every Deployment whose refused creation is due for a retry."""
        now = self.clock()
        for key, (due, _) in list(self.retries.items()):
            if due > now:
                continue
            dep = self.store.get(DEPLOYMENT, *key)
            if dep is None:
                del self.retries[key]
            else:
                self.reconcile(dep)

    def _requeue(self, key: tuple[str, str], *, refused: bool) -> None:
        if not refused:
            self.retries.pop(key, None)
            return
        failures = self.retries.get(key, (0.0, 0))[1] + 1
        self.retries[key] = (self.clock() + retry_delay(failures), failures)

    def replace_deleted(self, pod: dict) -> None:
        """A deleted pod of a Deployment is replaced, as its ReplicaSet would."""
        owner = _owner_deployment(pod)
        if owner:
            dep = self.store.get(DEPLOYMENT, pod["metadata"]["namespace"], owner)
            if dep is not None:
                self.reconcile(dep)

    def delete_owned_pods(self, dep: dict) -> None:
        """Garbage-collect the pods of a deleted Deployment."""
        name = dep["metadata"]["name"]
        for pod in self.store.namespace_items(POD, dep["metadata"]["namespace"]):
            if _owner_deployment(pod) == name:
                self._remove(pod)

    def _create_in_batches(self, dep: dict, pod_hash: str, missing: int) -> int:
        """Slow-start creation (batches 1, 2, 4, ...), stopping after a batch with failures."""
        created, batch = 0, 1
        while missing > 0:
            size = min(batch, missing)
            ok = sum(self._create(dep, pod_hash) for _ in range(size))
            created += ok
            missing -= size
            if ok < size:
                break
            batch *= 2
        return created

    def _create(self, dep: dict, pod_hash: str) -> bool:
        rs = _replicaset_ref(dep, pod_hash)
        # Newer API servers generate the name before admission, so refusals name the pod.
        name = f"{rs['name']}-{self.suffix()}"
        pod = _pod_from_template(dep["spec"].get("template", {}), rs, name=name, pod_hash=pod_hash)
        try:
            self.create_pod(pod, rs["namespace"])
        except SimError as e:
            self.events.record(
                rs, kind="Warning", reason="FailedCreate", message=f"Error creating: {e.message}"
            )
            return False
        self.events.record(
            rs, kind="Normal", reason="SuccessfulCreate", message=f"Created pod: {name}"
        )
        return True

    def _remove(self, pod: dict) -> None:
        meta = pod["metadata"]
        self.store.remove(POD, meta["namespace"], meta["name"])

    def _update_status(self, dep: dict, ready: int) -> None:
        meta = dep["metadata"]
        current = self.store.get(DEPLOYMENT, meta["namespace"], meta["name"])
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
            self.store.put(
                DEPLOYMENT, {**current, "metadata": dict(current["metadata"]), "status": status}
            )


def retry_delay(failures: int) -> float:
    """client-go's default per-item backoff: 5 ms doubling per failure, at most 1000 s."""
    return min(0.005 * 2 ** (failures - 1), 1000.0)


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


def template_hash(template: dict) -> str:
    """A stable pod-template-hash, in the alphabet the Deployment controller uses."""
    digest = hashlib.sha256(repr(sorted(_flatten(template))).encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:10])


def _flatten(value: object, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, repr(value)
