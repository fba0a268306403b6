"""The simulated cluster: storage plus what the control plane does on each write
(defaulting, admission, quota status, scheduling, the Deployment controller).

Everything here is synchronous and deterministic for a given seed, so tests can
drive it directly; `server.py` puts HTTP in front of it.
"""

from __future__ import annotations

import copy
import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable

from quotasim import controllers, defaulting
from quotasim.admission import limitranger, resourcequota
from quotasim.apierrors import SimError
from quotasim.events import EventRecorder
from quotasim.resources import BY_KIND, BY_PATH, ResourceType
from quotasim.store import Store

POD = BY_PATH[("", "v1", "pods")]
NAMESPACE = BY_PATH[("", "v1", "namespaces")]
QUOTA = BY_PATH[("", "v1", "resourcequotas")]
LIMITRANGE = BY_PATH[("", "v1", "limitranges")]
NODE = BY_PATH[("", "v1", "nodes")]
PVC = BY_PATH[("", "v1", "persistentvolumeclaims")]
EVENT = BY_PATH[("", "v1", "events")]
DEPLOYMENT = BY_PATH[("apps", "v1", "deployments")]

TOUCH_ANNOTATION = "sim.quotameter.io/touched"
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what generateName draws from


def not_found(rtype: ResourceType, name: str) -> SimError:
    """The 404 the server sends for a missing object."""
    group = f".{rtype.group}" if rtype.group else ""
    return SimError(
        404,
        "NotFound",
        f'{rtype.plural}{group} "{name}" not found',
        details={"name": name, "group": rtype.group, "kind": rtype.plural},
    )


class Cluster:
    """The state and control plane of one simulated cluster."""

    def __init__(
        self, *, seed: int = 1, history_size: int = 10_000, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = Store(history_size=history_size)
        self.rng = random.Random(seed)
        self.clock = clock
        self.events = EventRecorder(self)
        self.scheduler = defaulting.Scheduler(lambda: self.store.iter(NODE))
        self.usage: dict[tuple[str, str], float] = {}  # (namespace, pod) -> usage/request ratio

    # -- helpers used by controllers and the server -----------------------------------

    def now_iso(self) -> str:
        """The current time as the API formats timestamps."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))

    def random_suffix(self, length: int = 5) -> str:
        """A generateName suffix, reproducible for a seed."""
        return "".join(self.rng.choice(_NAME_ALPHABET) for _ in range(length))

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
                details={"name": meta["name"], "group": rtype.group, "kind": rtype.plural},
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
            defaulting.default_object(self, rtype, obj)
            if rtype is POD:
                defaulting.schedule_pod(self, obj)
            elif rtype is NODE:
                self.scheduler.nodes_changed()
            self.store.put(rtype, obj)
            touched.add(meta.get("namespace", ""))
            count += 1
        for ns in touched - {""}:
            controllers.refresh_quotas(self, ns)
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
            controllers.reconcile_deployment(self, dep)

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
        defaulting.default_object(self, rtype, obj)
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
            defaulting.schedule_pod(self, obj)

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
        defaulting.default_object(self, rtype, obj)
        return obj

    def _after_write(self, rtype: ResourceType, obj: dict, old: dict | None) -> None:
        ns = obj["metadata"].get("namespace", "")
        if rtype is NODE:
            self.scheduler.nodes_changed()
        if rtype is DEPLOYMENT:
            controllers.reconcile_deployment(self, obj)
        elif rtype in (POD, PVC, QUOTA) or (rtype.group and rtype.namespaced):
            controllers.refresh_quotas(self, ns)

    def _after_delete(self, rtype: ResourceType, gone: dict) -> None:
        ns = gone["metadata"].get("namespace", "")
        if rtype is NODE:
            self.scheduler.nodes_changed()
        if rtype is DEPLOYMENT:
            controllers.delete_owned_pods(self, gone)
        if rtype is POD:
            controllers.reconcile_owner(self, gone)
        if rtype is not NAMESPACE and ns and self.store.get(NAMESPACE, "", ns) is not None:
            controllers.refresh_quotas(self, ns)

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


def template_hash(template: dict) -> str:
    """A stable pod-template-hash, in the alphabet the Deployment controller uses."""
    digest = hashlib.sha256(repr(sorted(_flatten(template))).encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:10])


def _flatten(value: object, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{prefix}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(v, f"{prefix}[{i}]")
    else:
        yield prefix, repr(value)
