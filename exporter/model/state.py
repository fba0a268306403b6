"""The cluster as the informers last reported it: compact records plus live aggregates.

``ClusterState`` is the informers' only sink. It decodes each object once, at the edge
of its methods, keeps per-namespace aggregates current in O(1) per event, and returns
what changed as ``Change`` records (kind, key, old record, new record); listeners
subscribed with ``subscribe`` (the cost feed) get the same changes, already decoded.
Every mutation is synchronous, so a collector running on the same event loop never
sees a half-applied event; ``snapshot()`` hands it an immutable copy.

Events go to the state's RejectionCounter. Whatever changes what is exported about a
namespace bumps its ``version()``: snapshots and the text renderer skip the
namespaces that did not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, Protocol, TypeVar, cast

from exporter.model.aggregates import Space
from exporter.model.bodies import Event, Namespace, Pod, WatchedObject
from exporter.model.health import InformerHealth
from exporter.model.records import (
    DecodeError,
    LimitRangeRecord,
    NamespaceRecord,
    NodeRecord,
    PodRecord,
    PvcRecord,
    QuotaRecord,
    decode_limitrange,
    decode_namespace,
    decode_node,
    decode_pod,
    decode_pvc,
    decode_quota,
    object_key,
)
from exporter.model.rejections import RejectionCounter
from exporter.model.rejectiontotals import RejectionTotals
from exporter.model.snapshot import StateSnapshot, Views
from exporter.model.teams import DEFAULT_RULES, TeamRules, namespace_team, pod_team

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped kinds
EVENTS = "events"
Record = NamespaceRecord | PodRecord | QuotaRecord | LimitRangeRecord | NodeRecord | PvcRecord
R = TypeVar("R", bound=Record)
B = TypeVar("B", bound=WatchedObject)


class Change(NamedTuple):
    """One object as the state applied it: ``old`` and ``new`` are its records before
    and after (None: absent). A record that could not be decoded counts as absent."""

    kind: str
    key: Key
    old: Record | None
    new: Record | None


class Listener(Protocol):
    """What subscribes to the state: the changes of each call, and each finished LIST."""

    def changed(self, changes: Sequence[Change]) -> None:
        """``changes`` were applied, in this order."""

    def listed(self, kind: str) -> None:
        """A LIST of ``kind`` is complete (its removals were in the last changes)."""


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Namespaced(_Named, Protocol):
    @property
    def namespace(self) -> str: ...


def _cluster_key(record: _Named) -> Key:
    return ("", record.name)


def _namespaced_key(record: _Namespaced) -> Key:
    return (record.namespace, record.name)


def _of_kind(decode: Callable[[B], R]) -> Callable[[WatchedObject], R]:
    """``decode``, fed the objects of its kind's LIST and WATCH: the resource path an
    object came from says which body it is, which no annotation can carry this far."""
    return cast("Callable[[WatchedObject], R]", decode)


@dataclass(frozen=True, slots=True)
class _Store(Generic[R]):
    """Where the records of one watched kind live, and how they are decoded."""

    decode: Callable[[WatchedObject], R]
    key_of: Callable[[R], Key]  # the (namespace, name) key of a decoded record
    get: Callable[[Key], R | None]
    put: Callable[[Key, R], None]
    remove: Callable[[Key], None]
    existing: Callable[[], list[Key]]

    def upsert(self, obj: WatchedObject) -> tuple[Key, R | None, R]:
        """Decode ``obj`` and put its record: (key, old record, new record). Raises
        DecodeError as ``decode`` does."""
        record = self.decode(obj)  # every decoder checks the key first (object_key)
        key = self.key_of(record)
        old = self.get(key)
        self.put(key, record)
        return key, old, record

    def delete(self, key: Key) -> R | None:
        """Remove the record under ``key``; returns it (None: there was none)."""
        old = self.get(key)
        if old is not None:
            self.remove(key)
        return old


# One store per kind; a union, so that each keeps its own record type.
_AnyStore = (
    _Store[NamespaceRecord]
    | _Store[PodRecord]
    | _Store[QuotaRecord]
    | _Store[LimitRangeRecord]
    | _Store[NodeRecord]
    | _Store[PvcRecord]
)


class ClusterState:
    """Records of every watched kind and their per-namespace aggregates (an informer sink).

    Events go to ``rejections`` (the RejectionCounter given, else a new one), which must
    be fed only through this sink. Kinds it does not model are accepted and ignored.
    """

    def __init__(
        self,
        *,
        health: InformerHealth,
        rules: TeamRules = DEFAULT_RULES,
        rejections: RejectionCounter | None = None,
    ) -> None:
        self._health, self._rules = health, rules
        self.rejections = rejections if rejections is not None else RejectionCounter()
        self._spaces: dict[str, Space] = {}
        self._namespaces: dict[str, NamespaceRecord] = {}
        self._teams: dict[str, str] = {}
        self._nodes: dict[str, NodeRecord] = {}
        self._listed: dict[str, set[Key]] = {}  # kind -> keys listed since begin_relist
        self._version = 0  # bumped by every mutation; keys the cached snapshot
        self._snapshot: tuple[int, StateSnapshot] | None = None
        self._views = Views()
        self._totals = RejectionTotals(self.rejections)
        self._listeners: list[Listener] = []
        self._stores = self._store_table()

    def subscribe(self, listener: Listener) -> None:
        """Give ``listener`` every change from now on (see Listener)."""
        self._listeners.append(listener)

    # -- the sink protocol ---------------------------------------------------------

    def begin_relist(self, kind: str) -> None:
        """A LIST of ``kind`` starts; what it does not list is removed at end_relist."""
        if kind == EVENTS:
            self.rejections.begin_relist()
        elif kind in self._stores:
            self._listed[kind] = set()

    def add_listed(self, kind: str, objects: Sequence[WatchedObject]) -> list[Change]:
        """One page of a LIST: add or replace each object."""
        if kind == EVENTS:
            events = cast(Sequence[Event], objects)  # the events LIST: see _of_kind
            self._count_events(events, lambda: self.rejections.add_listed(events))
            return []
        store = self._stores.get(kind)
        if store is None:
            return []
        seen = self._listed.setdefault(kind, set())
        changes = []
        for obj in objects:
            change = self._upsert(kind, store, obj)
            if change is not None:
                seen.add(change.key)
                changes.append(change)
        self._version += 1
        return self._publish(changes)

    def end_relist(self, kind: str) -> list[Change]:
        """The LIST is complete: drop objects of ``kind`` it did not return."""
        if kind == EVENTS:
            self.rejections.end_relist()  # forgets expired Events; totals never drop
            return []
        store, seen = self._stores.get(kind), self._listed.pop(kind, None)
        if store is None or seen is None:
            return []  # no page was delivered: nothing says what is gone
        changes = [self._delete(kind, store, key) for key in store.existing() if key not in seen]
        self._version += 1
        self._publish(changes)
        for listener in self._listeners:
            listener.listed(kind)
        return changes

    def apply(self, kind: str, event_type: str, obj: WatchedObject) -> list[Change]:
        """One watch event: ADDED or MODIFIED replaces the object, DELETED removes it."""
        if kind == EVENTS:
            event = cast(Event, obj)  # the events WATCH: see _of_kind
            self._count_events((event,), lambda: self.rejections.apply(event_type, event))
            return []
        store = self._stores.get(kind)
        if store is None or event_type not in ("ADDED", "MODIFIED", "DELETED"):
            return []
        if event_type == "DELETED":
            key = self._key(kind, obj)
            change = None if key is None else self._delete(kind, store, key)
        else:
            change = self._upsert(kind, store, obj)
        self._version += 1
        return self._publish([change] if change is not None else [])

    def _publish(self, changes: list[Change]) -> list[Change]:
        if changes:
            for listener in self._listeners:
                listener.changed(changes)
        return changes

    def _count_events(self, events: Iterable[Event], count: Callable[[], None]) -> None:
        touched, problems = self._totals.count(events, count)
        for namespace, name, reason in problems:
            self._health.record_parse_error(EVENTS, namespace=namespace, name=name, reason=reason)
        for namespace in touched:
            self._views.touch(namespace)
        self._version += 1

    # -- reads ---------------------------------------------------------------------

    def snapshot(self) -> StateSnapshot:
        """An immutable view for collectors; only namespaces touched since are rebuilt."""
        if self._snapshot is None or self._snapshot[0] != self._version:
            built = self._views.build(
                self._spaces, nodes=self._nodes, known=self._namespaces,
                team_of=self.team_of, rejections=self._totals.by_namespace(),
            )  # fmt: skip
            self._snapshot = (self._version, built)
        return self._snapshot[1]

    def version(self, namespace: str) -> int:
        """Changes whenever anything exported about the namespace does (0: nothing known)."""
        return self._views.version(namespace)

    def team_of(self, namespace: str) -> str:
        """The team owning a namespace (rules applied to the name while it is unknown)."""
        team = self._teams.get(namespace)
        return team if team is not None else namespace_team(namespace, None, self._rules)

    def team_of_pod(self, pod: PodRecord) -> str:
        """The team a pod is charged to (a vcluster pod's own team label wins)."""
        return pod_team(pod, self.team_of(pod.namespace))

    def namespace(self, name: str) -> NamespaceRecord | None:
        """The record of a namespace, or None while it is unknown."""
        return self._namespaces.get(name)

    def namespaces(self) -> list[NamespaceRecord]:
        """Every known namespace, sorted by name."""
        return [self._namespaces[n] for n in sorted(self._namespaces)]

    def pods(self, namespace: str | None = None) -> list[PodRecord]:
        """The pods of one namespace, or of all; a copy, safe to hold across awaits."""
        if namespace is not None:
            space = self._spaces.get(namespace)
            return list(space.pods.values()) if space else []
        return [pod for space in self._spaces.values() for pod in space.pods.values()]

    def pod(self, namespace: str, name: str) -> PodRecord | None:
        """One pod's record, or None (O(1): the cost feed looks pods up per event)."""
        space = self._spaces.get(namespace)
        return space.pods.get(name) if space else None

    def pvc(self, namespace: str, name: str) -> PvcRecord | None:
        """One PersistentVolumeClaim's record, or None."""
        space = self._spaces.get(namespace)
        return space.pvcs.get(name) if space else None

    def node(self, name: str) -> NodeRecord | None:
        """One node's record, or None."""
        return self._nodes.get(name)

    def nodes(self) -> list[NodeRecord]:
        """Every known node, sorted by name."""
        return [self._nodes[n] for n in sorted(self._nodes)]

    def pvcs(self) -> list[PvcRecord]:
        """Every known PersistentVolumeClaim."""
        return [pvc for space in self._spaces.values() for pvc in space.pvcs.values()]

    # -- decoding at the edge --------------------------------------------------------

    def _key(self, kind: str, obj: WatchedObject) -> Key | None:
        try:
            return object_key(obj)
        except DecodeError as e:
            self._health.record_parse_error(kind, reason=str(e))
            return None

    def _upsert(self, kind: str, store: _AnyStore, obj: WatchedObject) -> Change | None:
        try:
            key, old, record = store.upsert(obj)
        except DecodeError as e:
            try:
                key = object_key(obj)
            except DecodeError:
                self._health.record_parse_error(kind, reason=str(e))
                return None
            self._health.record_parse_error(kind, namespace=key[0], name=key[1], reason=str(e))
            # Its last good version no longer describes the object: exporting it would
            # report values that exist nowhere, so the object counts as absent.
            return self._delete(kind, store, key)
        return Change(kind, key, old, record)

    def _delete(self, kind: str, store: _AnyStore, key: Key) -> Change:
        return Change(kind, key, store.delete(key), None)

    def _store_table(self) -> dict[str, _AnyStore]:
        return {
            "namespaces": _Store(
                decode=_of_kind(self._decode_namespace), key_of=_cluster_key,
                get=lambda key: self._namespaces.get(key[1]),
                put=self._put_namespace, remove=self._remove_namespace,
                existing=lambda: [("", name) for name in self._namespaces],
            ),
            "pods": _Store(
                decode=_of_kind(self._decode_pod), key_of=_namespaced_key,
                get=lambda key: self.pod(*key),
                put=self._putter(Space.put_pod), remove=self._remover(Space.remove_pod),
                existing=lambda: self._keys_in(lambda space: space.pods),
            ),
            "resourcequotas": _Store(
                decode=_of_kind(decode_quota), key_of=_namespaced_key,
                get=lambda key: self._get_in(lambda space: space.quotas, key),
                put=self._putter(Space.put_quota), remove=self._remover(Space.remove_quota),
                existing=lambda: self._keys_in(lambda space: space.quotas),
            ),
            "limitranges": _Store(
                decode=_of_kind(decode_limitrange), key_of=_namespaced_key,
                get=lambda key: self._get_in(lambda space: space.limitranges, key),
                put=self._putter(Space.put_limitrange),
                remove=self._remover(Space.remove_limitrange),
                existing=lambda: self._keys_in(lambda space: space.limitranges),
            ),
            "persistentvolumeclaims": _Store(
                decode=_of_kind(decode_pvc), key_of=_namespaced_key,
                get=lambda key: self.pvc(*key),
                put=self._putter(Space.put_pvc), remove=self._remover(Space.remove_pvc),
                existing=lambda: self._keys_in(lambda space: space.pvcs),
            ),
            "nodes": _Store(
                decode=_of_kind(decode_node), key_of=_cluster_key,
                get=lambda key: self._nodes.get(key[1]),
                put=self._put_node, remove=self._remove_node,
                existing=lambda: [("", name) for name in self._nodes],
            ),
        }  # fmt: skip

    def _decode_namespace(self, body: Namespace) -> NamespaceRecord:
        rules = self._rules
        return decode_namespace(
            body, label_keys=rules.label_keys, annotation_keys=rules.annotation_keys
        )

    def _decode_pod(self, body: Pod) -> PodRecord:
        return decode_pod(body, team_labels=self._rules.label_keys)

    # -- per-kind bookkeeping --------------------------------------------------------

    def _putter(self, put_in: Callable[[Space, str, R], bool | None]) -> Callable[[Key, R], None]:
        """Put a record into its namespace's Space; False from it means nothing exported moved."""

        def put(key: Key, record: R) -> None:
            if put_in(self._space(key[0]), key[1], record) is not False:
                self._views.touch(key[0])

        return put

    def _remover(self, remove_from: Callable[[Space, str], bool]) -> Callable[[Key], None]:
        def remove(key: Key) -> None:
            space = self._spaces.get(key[0])
            if space is not None and remove_from(space, key[1]):
                self._views.touch(key[0])
                self._prune(key[0], space)

        return remove

    def _put_namespace(self, key: Key, record: NamespaceRecord) -> None:
        if record.budget_invalid:
            self._health.record_parse_error(
                "namespaces", name=record.name, reason="invalid monthly-budget annotation"
            )
        self._namespaces[key[1]] = record
        self._teams[key[1]] = namespace_team(key[1], record, self._rules)
        self._views.touch(key[1])

    def _remove_namespace(self, key: Key) -> None:
        if self._namespaces.pop(key[1], None) is None:
            return
        self._views.touch(key[1])
        # Its objects' DELETED events may still be on their way (each kind has its own
        # stream): keep the team until they are gone, so series do not change team.
        if key[1] not in self._spaces:
            self._teams.pop(key[1], None)

    def _put_node(self, key: Key, record: NodeRecord) -> None:
        self._nodes[key[1]] = record

    def _remove_node(self, key: Key) -> None:
        self._nodes.pop(key[1], None)

    def _space(self, namespace: str) -> Space:
        space = self._spaces.get(namespace)
        if space is None:
            space = self._spaces[namespace] = Space()
        return space

    def _prune(self, namespace: str, space: Space) -> None:
        if space.empty():
            del self._spaces[namespace]
            if namespace not in self._namespaces:
                self._teams.pop(namespace, None)

    def _keys_in(self, records: Callable[[Space], Mapping[str, Record]]) -> list[Key]:
        return [(ns, name) for ns, space in self._spaces.items() for name in records(space)]

    def _get_in(self, records: Callable[[Space], Mapping[str, R]], key: Key) -> R | None:
        space = self._spaces.get(key[0])
        return records(space).get(key[1]) if space else None
