"""The simulated cluster: storage plus what the control plane does on each write
(defaulting, admission, quota status, scheduling, the Deployment controller).

Everything here is synchronous and deterministic for a given seed, so tests can
drive it directly; `server.py` puts HTTP in front of it.
"""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections.abc import Callable, Iterable

from quotasim import defaulting, validation
from quotasim.admission import limitranger, resourcequota
from quotasim.apierrors import SimError, not_found, status_details
from quotasim.controllers import NAME_ALPHABET, DeploymentController, refresh_quotas
from quotasim.events import EventRecorder
from quotasim.kinds import DEPLOYMENT, EVENT, LIMITRANGE, NAMESPACE, NODE, POD, PVC, QUOTA
from quotasim.resources import BY_KIND, ResourceType
from quotasim.scheduling import Scheduler
from quotasim.store import Store
from quotasim.timestamps import api_time

# The kinds are named here too, for callers that drive a Cluster.
__all__ = [
    "DEPLOYMENT",
    "EVENT",
    "LIMITRANGE",
    "NAMESPACE",
    "NODE",
    "POD",
    "PVC",
    "QUOTA",
    "TOUCH_ANNOTATION",
    "Cluster",
]

TOUCH_ANNOTATION = "sim.quotameter.io/touched"


class Cluster:
    """The state and control plane of one simulated cluster."""

    def __init__(
        self, *, seed: int = 1, history_size: int = 10_000, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = Store(history_size=history_size)
        self.rng = random.Random(seed)
        self.clock = clock
        self.events = EventRecorder(store=self.store, clock=clock, rng=self.rng)
        self.scheduler = Scheduler(lambda: self.store.iter(NODE), rng=self.rng, clock=clock)
        self.deployments = DeploymentController(
            store=self.store,
            events=self.events,
            create_pod=lambda pod, namespace: self.create(POD, pod, namespace=namespace),
            suffix=self.random_suffix,
            clock=clock,
        )
        self.usage: dict[tuple[str, str], float] = {}  # (namespace, pod) -> usage/request ratio

    # -- helpers used by controllers and the server -----------------------------------

    def now_iso(self) -> str:
        """The current time as the API formats timestamps."""
        return api_time(self.clock())

    def random_suffix(self, length: int = 5) -> str:
        """A generateName suffix, reproducible for a seed."""
        return "".join(self.rng.choice(NAME_ALPHABET) for _ in range(length))

    def pods(self, namespace: str) -> list[dict]:
        """Pods of a namespace (unordered)."""
        return self.store.namespace_items(POD, namespace)

    # -- the public API ----------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict:
        """An object, or SimError 404."""
        obj = self.store.get(rtype, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise not_found(rtype, name)
        return obj

    def create(self, rtype: ResourceType, body: dict, *, namespace: str = "") -> dict:
        """Create an object through defaulting, admission and the controllers."""
        obj = copy.deepcopy(body)
        meta = self._prepare_meta(rtype, obj, namespace)
        if self.store.get(rtype, meta.get("namespace", ""), meta["name"]) is not None:
            group = f".{rtype.group}" if rtype.group else ""
            raise SimError(
                409,
                "AlreadyExists",
                f'{rtype.plural}{group} "{meta["name"]}" already exists',
                details=status_details(rtype, meta["name"]),
            )
        self._admit(rtype, obj)
        stored = self.store.put(rtype, obj)
        self._after_write(rtype, stored, None)
        return stored

    def update(
        self, rtype: ResourceType, body: dict, *, namespace: str = "", subresource: str = ""
    ) -> dict:
        """Replace an object; a stale resourceVersion gets 409 Conflict."""
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        ns = (meta.get("namespace") or namespace) if rtype.namespaced else ""
        current = self.get(rtype, ns, meta.get("name", ""))
        sent_rv = meta.get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise SimError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {rtype.plural} "{meta["name"]}": the object '
                "has been modified; please apply your changes to the latest version and try again",
            )
        obj = self._merge_update(rtype, current, obj, subresource)
        stored = self.store.put(rtype, obj)
        self._after_write(rtype, stored, current)
        return stored

    def delete(self, rtype: ResourceType, namespace: str, name: str) -> dict:
        """Delete an object (a namespace takes everything in it along)."""
        ns = namespace if rtype.namespaced else ""
        self.get(rtype, ns, name)
        if rtype is NAMESPACE:
            self._delete_namespace_contents(name)
        gone = self.store.remove(rtype, ns, name)
        assert gone is not None
        self._after_delete(rtype, gone)
        return gone

    def apply_objects(self, objects: Iterable[dict]) -> list[dict]:
        """Create (or replace) manifests in dependency order: the Python bulk loader."""
        created = []
        for body in sorted(objects, key=_load_order):
            rtype = BY_KIND.get((body.get("apiVersion", ""), body.get("kind", "")))
            if rtype is None:
                raise SimError(
                    400, "BadRequest", f"no kind {body.get('kind')!r} in {body.get('apiVersion')!r}"
                )
            ns = body.get("metadata", {}).get("namespace", "default") if rtype.namespaced else ""
            existing = self.store.get(rtype, ns, body["metadata"]["name"])
            if existing is None:
                created.append(self.create(rtype, body, namespace=ns))
            else:
                merged = {**body, "metadata": {**body["metadata"], "namespace": ns}}
                created.append(self.update(rtype, merged, namespace=ns))
        return created

    def bulk_load(self, objects: Iterable[dict]) -> int:
        """Load many fresh objects fast: defaulting and scheduling, but no per-object
        admission; quota status is computed once per namespace at the end."""
        touched: set[str] = set()
        count = 0
        for obj in objects:
            rtype = BY_KIND[(obj["apiVersion"], obj["kind"])]
            meta = self._prepare_meta(rtype, obj, "")
            defaulting.default_object(rtype, obj)
            if rtype is POD:
                self.scheduler.schedule(obj)
            elif rtype is NODE:
                self.scheduler.nodes_changed()
            self.store.put(rtype, obj)
            touched.add(meta.get("namespace", ""))
            count += 1
        for ns in touched - {""}:
            refresh_quotas(self.store, ns)
        return count

    def touch_pods(self, count: int) -> int:
        """MODIFY `count` pods (round robin) by bumping an annotation: a cheap event
        source for benchmarks; resources do not change, so quotas are not recomputed."""
        pods = [p for spaces in self.store.iter_namespaces(POD) for p in spaces]
        for i in range(count if pods else 0):
            pod = pods[i % len(pods)]
            annotations = {**pod["metadata"].get("annotations", {}), TOUCH_ANNOTATION: str(i)}
            pods[i % len(pods)] = self.store.put(
                POD, {**pod, "metadata": {**pod["metadata"], "annotations": annotations}}
            )
        return count if pods else 0

    def resync(self) -> None:
        """One pass of the periodic controllers: expire old Events, retry Deployments."""
        self.events.expire()
        for dep in list(self.store.iter(DEPLOYMENT)):
            self.deployments.reconcile(dep)

    # -- internals -------------------------------------------------------------------

    def _prepare_meta(self, rtype: ResourceType, obj: dict, namespace: str) -> dict:
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj.setdefault("metadata", {})
        if rtype.namespaced:
            ns = meta.get("namespace") or namespace or "default"
            if namespace and meta.get("namespace") not in (None, namespace):
                raise SimError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match "
                    "the namespace sent on the request",
                )
            meta["namespace"] = ns
            if self.store.get(NAMESPACE, "", ns) is None:
                raise not_found(NAMESPACE, ns)
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise SimError(
                    422,
                    "Invalid",
                    f'{rtype.kind}.{rtype.version} "" is invalid: '
                    "metadata.name: Required value: name or generateName is required",
                )
            meta["name"] = meta["generateName"] + self.random_suffix()
        meta["uid"] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        meta["creationTimestamp"] = self.now_iso()
        meta.pop("resourceVersion", None)
        if rtype is DEPLOYMENT:
            meta["generation"] = 1
        return meta

    def _admit(self, rtype: ResourceType, obj: dict) -> None:
        if rtype is POD:
            validation.validate_pod(obj)
        defaulting.default_object(rtype, obj)
        ns = obj["metadata"].get("namespace", "")
        if rtype in (POD, PVC):
            limitranges = self.store.namespace_items(LIMITRANGE, ns)
            if rtype is POD:
                limitranger.apply_limitrange_defaults(obj, limitranges)
            limitranger.validate_limitranges(rtype.kind, obj, limitranges)
        quotas = self.store.namespace_items(QUOTA, ns)
        if quotas and rtype not in (EVENT, QUOTA, LIMITRANGE):
            resourcequota.check_quotas(rtype.kind, obj, quotas)
        if rtype is POD:
            self.scheduler.schedule(obj)

    def _merge_update(
        self, rtype: ResourceType, current: dict, obj: dict, subresource: str
    ) -> dict:
        meta = obj["metadata"]
        for key in ("uid", "creationTimestamp", "namespace", "generation"):
            if key in current["metadata"]:
                meta[key] = current["metadata"][key]
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        if subresource == "status":
            return {**current, "status": obj.get("status", {})}
        if "status" in current and rtype is not QUOTA:
            obj["status"] = current["status"]  # the main resource ignores status changes
        if rtype is DEPLOYMENT and obj.get("spec") != current.get("spec"):
            meta["generation"] = current["metadata"].get("generation", 1) + 1
        defaulting.default_object(rtype, obj)
        return obj

    def _after_write(self, rtype: ResourceType, obj: dict, old: dict | None) -> None:
        ns = obj["metadata"].get("namespace", "")
        if rtype is NODE:
            self.scheduler.nodes_changed()
        if rtype is DEPLOYMENT:
            self.deployments.reconcile(obj)
        elif rtype in (POD, PVC, QUOTA) or (rtype.group and rtype.namespaced):
            refresh_quotas(self.store, ns)

    def _after_delete(self, rtype: ResourceType, gone: dict) -> None:
        ns = gone["metadata"].get("namespace", "")
        if rtype is NODE:
            self.scheduler.nodes_changed()
        if rtype is DEPLOYMENT:
            self.deployments.delete_owned_pods(gone)
        if rtype is POD:
            self.deployments.replace_deleted(gone)
        if rtype is not NAMESPACE and ns and self.store.get(NAMESPACE, "", ns) is not None:
            refresh_quotas(self.store, ns)

    def _delete_namespace_contents(self, namespace: str) -> None:
        for rtype in (DEPLOYMENT, POD, PVC, QUOTA, LIMITRANGE, EVENT):
            for obj in self.store.namespace_items(rtype, namespace):
                self.store.remove(rtype, namespace, obj["metadata"]["name"])


_ORDER = {
    "Namespace": 0,
    "Node": 1,
    "LimitRange": 2,
    "ResourceQuota": 3,
    "PersistentVolumeClaim": 4,
    "Deployment": 5,
    "Pod": 6,
}


def _load_order(body: dict) -> int:
    return _ORDER.get(body.get("kind", ""), 9)
