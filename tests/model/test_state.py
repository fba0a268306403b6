"""ClusterState as an informer sink: incremental aggregates, relists, deletions, bad input."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Unpack

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.model.bodies import (
    Container,
    Event,
    Namespace,
    Node,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    ResourceList,
    ResourceQuota,
    ResourceQuotaSpec,
    WatchedObject,
)
from exporter.model.health import InformerHealth
from exporter.model.podresources import pod_limits, pod_requests
from exporter.model.quantities import QuantityError
from exporter.model.quotas import (
    is_compute_key,
    is_terminal,
    matches_scopes,
    pod_quota_usage,
    pod_scope_facts,
)
from exporter.model.rejections import RejectionCounter
from exporter.model.snapshot import EMPTY_SNAPSHOT, SpaceView, StateSnapshot
from exporter.model.state import ClusterState
from exporter.model.teams import TeamRules

M = 10**6  # nanos per millicore
MI = 2**20 * 10**9  # nanos per MiB
GI = 2**30 * 10**9


def ctr(
    name: str, requests: ResourceList | None = None, limits: ResourceList | None = None
) -> Container:
    return {"name": name, "resources": {"requests": requests or {}, "limits": limits or {}}}


def pod(
    ns: str, name: str, *app: Container, phase: str = "Running", **spec: Unpack[PodSpec]
) -> Pod:
    return {
        "metadata": {"name": name, "namespace": ns, "uid": f"{ns}/{name}"},
        "spec": {"containers": list(app), **spec},
        "status": {"phase": phase},
    }


def quota(
    ns: str, name: str, hard: ResourceList, /, **spec: Unpack[ResourceQuotaSpec]
) -> ResourceQuota:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"hard": hard, **spec},
        "status": {"hard": hard, "used": {}},
    }


def namespace(name: str, **labels: str) -> Namespace:
    return {"metadata": {"name": name, "labels": labels}}


def new_state() -> tuple[ClusterState, InformerHealth]:
    health = InformerHealth()
    return ClusterState(health=health), health


def relist(
    state: ClusterState, kind: str, objects: list[WatchedObject] | list[Any], page: int = 2
) -> None:
    state.begin_relist(kind)
    for start in range(0, len(objects), page):
        state.add_listed(kind, objects[start : start + page])
    state.end_relist(kind)


def row(snapshot: StateSnapshot, ns: str):
    return next(r for r in snapshot.namespaces if r.namespace == ns)


def view(state: ClusterState, ns: str) -> SpaceView:
    return next(v for v in state.snapshot().spaces if v.namespace == ns)


def observed(snapshot: StateSnapshot, ns: str, name: str) -> dict[str, int]:
    found = [r for r in snapshot.quotas if (r.quota.namespace, r.quota.name) == (ns, name)]
    return dict(found[0].observed)


APP = ctr("app", {"cpu": "100m", "memory": "128Mi"}, {"cpu": "500m", "memory": "512Mi"})


def test_pods_add_up_per_namespace_and_terminal_pods_only_count_by_phase() -> None:
    state, _ = new_state()
    relist(state, "namespaces", [namespace("dev", team="agents")])
    state.apply("pods", "ADDED", pod("dev", "a", APP))
    state.apply("pods", "ADDED", pod("dev", "b", APP, ctr("sidecar")))
    state.apply("pods", "ADDED", pod("dev", "done", APP, phase="Succeeded"))
    dev = row(state.snapshot(), "dev")
    assert dev.team == "agents"
    assert dev.requests == (("cpu", 200 * M), ("memory", 256 * MI))
    assert dev.limits == (("cpu", 1000 * M), ("memory", 1024 * MI))
    assert dev.phases == (("Running", 2), ("Succeeded", 1))
    assert dev.without_requests == (("cpu", 1), ("memory", 1))
    assert dev.without_limits == (("cpu", 1), ("memory", 1))
    state.apply("pods", "MODIFIED", pod("dev", "b", APP, ctr("sidecar"), phase="Failed"))
    dev = row(state.snapshot(), "dev")
    assert dev.requests == (("cpu", 100 * M), ("memory", 128 * MI))
    assert dev.phases == (("Failed", 1), ("Running", 1), ("Succeeded", 1))
    assert dev.without_requests == (("cpu", 0), ("memory", 0))


def test_a_resource_no_live_pod_names_any_more_disappears() -> None:
    state, _ = new_state()
    gpu = ctr("train", {"nvidia.com/gpu": "2", "cpu": "1"}, {"nvidia.com/gpu": "2"})
    state.apply("pods", "ADDED", pod("ml", "trainer", gpu))
    state.apply("pods", "ADDED", pod("ml", "zero", ctr("z", {"cpu": "0"})))
    assert row(state.snapshot(), "ml").requests == (
        ("cpu", 1000 * M),
        ("nvidia.com/gpu", 2 * 10**9),
    )
    state.apply("pods", "DELETED", pod("ml", "trainer"))
    # A pod requesting cpu 0 keeps the series at 0; nothing requests GPUs any more.
    assert row(state.snapshot(), "ml").requests == (("cpu", 0),)


def test_quota_observed_usage_follows_scopes_and_quota_changes() -> None:
    state, _ = new_state()
    hard = {"pods": "10", "requests.cpu": "2", "count/pods": "10", "requests.storage": "1Gi"}
    state.apply("resourcequotas", "ADDED", quota("dev", "all", hard))
    state.apply("resourcequotas", "ADDED", quota("dev", "be", {"pods": "5"}, scopes=["BestEffort"]))
    state.apply("pods", "ADDED", pod("dev", "a", APP))
    state.apply("pods", "ADDED", pod("dev", "be", ctr("c")))
    state.apply("pods", "ADDED", pod("dev", "gone", APP, phase="Failed"))
    snap = state.snapshot()
    # Compute keys of hard only: count/pods and requests.storage are not recomputed.
    assert observed(snap, "dev", "all") == {"pods": 2 * 10**9, "requests.cpu": 100 * M}
    assert observed(snap, "dev", "be") == {"pods": 10**9}
    state.apply(
        "resourcequotas",
        "MODIFIED",
        quota("dev", "be", {"pods": "5", "limits.cpu": "1"}, scopes=["NotBestEffort"]),
    )
    assert observed(state.snapshot(), "dev", "be") == {"pods": 10**9, "limits.cpu": 500 * M}
    state.apply("resourcequotas", "DELETED", quota("dev", "be", {}))
    assert [r.quota.name for r in state.snapshot().quotas] == ["all"]


def test_observed_usage_covers_extended_resources_charged_by_running_pods() -> None:
    state, _ = new_state()
    hard = {"requests.nvidia.com/gpu": "4", "requests.cpu": "8"}
    state.apply("resourcequotas", "ADDED", quota("ml", "gpu", hard))
    trainer = ctr("train", {"cpu": "2", "nvidia.com/gpu": "2"}, {"nvidia.com/gpu": "2"})
    state.apply("pods", "ADDED", pod("ml", "trainer", trainer))
    assert observed(state.snapshot(), "ml", "gpu") == {
        "requests.cpu": 2 * 10**9,
        "requests.nvidia.com/gpu": 2 * 10**9,
    }


def test_reads_for_cost_pods_teams_nodes_and_pvcs() -> None:
    state, _ = new_state()
    relist(state, "namespaces", [namespace("vc-sandbox", team="sandbox")])
    synced = pod("vc-sandbox", "web-x-sandbox", APP)
    synced["metadata"]["labels"] = {"vcluster.loft.sh/managed-by": "sandbox", "team": "web"}
    state.apply("pods", "ADDED", synced)
    state.apply("pods", "ADDED", pod("vc-sandbox", "syncer", APP))
    teams = {p.name: state.team_of_pod(p) for p in state.pods("vc-sandbox")}
    assert teams == {"web-x-sandbox": "web", "syncer": "sandbox"}
    claim: PersistentVolumeClaim = {"metadata": {"name": "data", "namespace": "vc-sandbox"},
             "spec": {"resources": {"requests": {"storage": "1Gi"}}}}  # fmt: skip
    state.apply("persistentvolumeclaims", "ADDED", claim)
    node: Node = {"metadata": {"name": "n1"}, "status": {"capacity": {"cpu": "4"}}}
    state.apply("nodes", "ADDED", node)
    assert [(c.name, c.requested_bytes) for c in state.pvcs()] == [("data", 2**30)]
    assert [n.capacity for n in state.nodes()] == [(("cpu", 4 * 10**9),)]
    state.apply("persistentvolumeclaims", "DELETED", claim)
    assert state.pvcs() == []
    assert state.pods("elsewhere") == []


def test_a_status_only_quota_update_keeps_observed_usage() -> None:
    state, _ = new_state()
    state.apply("resourcequotas", "ADDED", quota("dev", "q", {"requests.cpu": "2"}))
    state.apply("pods", "ADDED", pod("dev", "a", APP))
    body = quota("dev", "q", {"requests.cpu": "2"})
    body["status"]["used"] = {"requests.cpu": "100m"}
    state.apply("resourcequotas", "MODIFIED", body)
    snap = state.snapshot()
    assert observed(snap, "dev", "q") == {"requests.cpu": 100 * M}
    assert snap.quotas[0].quota.used == (("requests.cpu", 100 * M),)


def test_relist_replaces_the_kind() -> None:
    state, _ = new_state()
    relist(state, "pods", [pod("dev", "a", APP), pod("dev", "b", APP), pod("prod", "c", APP)])
    relist(state, "resourcequotas", [quota("prod", "q", {"pods": "3"})])
    relist(state, "pods", [pod("dev", "b", APP), pod("dev", "new", APP, phase="Pending")])
    snap = state.snapshot()
    assert [(r.namespace, r.phases) for r in snap.namespaces] == [
        ("dev", (("Pending", 1), ("Running", 1)))
    ]
    assert sorted(p.name for p in state.pods()) == ["b", "new"]
    assert observed(snap, "prod", "q") == {"pods": 0}  # the quota stays; its pods left


def test_a_restarted_list_forgets_pages_of_the_failed_one() -> None:
    state, _ = new_state()
    relist(state, "nodes", [{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}])
    state.begin_relist("nodes")
    state.add_listed("nodes", [{"metadata": {"name": "n1"}}])
    state.begin_relist("nodes")  # the LIST failed and starts over
    state.add_listed("nodes", [{"metadata": {"name": "n2"}}])
    state.end_relist("nodes")
    assert [n.name for n in state.nodes()] == ["n2"]


def test_malformed_objects_are_counted_and_skipped() -> None:
    state, health = new_state()
    bad = pod("dev", "bad", ctr("c", {"cpu": "1 core"}))
    relist(state, "pods", [pod("dev", "a", APP), bad, {"metadata": {}}])
    assert [p.name for p in state.pods()] == ["a"]
    assert health.parse_errors_total["pods"] == 2
    # A good object turning bad is dropped: its last good values no longer exist.
    state.apply("pods", "MODIFIED", pod("dev", "a", ctr("c", {"memory": "1Qi"})))
    assert state.pods() == []
    assert state.snapshot().namespaces == ()
    state.apply("resourcequotas", "ADDED", quota("dev", "q", {"pods": "many"}))
    assert health.snapshot().parse_errors_total == {"pods": 3, "resourcequotas": 1}


def test_a_malformed_deleted_object_is_still_deleted() -> None:
    state, _ = new_state()
    state.apply("pods", "ADDED", pod("dev", "a", APP))
    state.apply("pods", "DELETED", pod("dev", "a", ctr("c", {"cpu": "garbage"})))
    assert state.pods() == []


def test_deleting_a_namespace_objects_removes_its_series_and_then_its_team() -> None:
    state, _ = new_state()
    relist(state, "namespaces", [namespace("staging", team="agents")])
    state.apply("pods", "ADDED", pod("staging", "a", APP))
    state.apply("resourcequotas", "ADDED", quota("staging", "q", {"pods": "3"}))
    state.apply("namespaces", "DELETED", namespace("staging"))
    assert row(state.snapshot(), "staging").team == "agents"  # its objects are still here
    state.apply("pods", "DELETED", pod("staging", "a"))
    state.apply("resourcequotas", "DELETED", quota("staging", "q", {}))
    assert state.snapshot() == EMPTY_SNAPSHOT
    assert state.team_of("staging") == "unallocated"


def test_team_rules_apply_and_invalid_budgets_count() -> None:
    health = InformerHealth()
    state = ClusterState(health=health, rules=TeamRules.build(name_rules=[("^ml-", "ml")]))
    budget = {"quotameter.io/monthly-budget": "a lot"}
    body: Namespace = {"metadata": {"name": "ml-train", "annotations": budget}}
    state.apply("namespaces", "ADDED", body)
    assert state.team_of("ml-train") == "ml"
    record = state.namespace("ml-train")
    assert record is not None
    assert record.budget_invalid
    assert health.parse_errors_total["namespaces"] == 1


def test_events_and_unknown_kinds_are_ignored() -> None:
    state, health = new_state()
    relist(state, "events", [{"metadata": {"name": "e", "namespace": "dev"}, "reason": "X"}])
    garbage: Any = {"garbage": True}  # not an Event: ignored all the same
    state.apply("events", "ADDED", garbage)
    state.apply("pods", "BOOKMARK", {"metadata": {"resourceVersion": "5"}})
    assert state.snapshot() == EMPTY_SNAPSHOT
    assert health.snapshot().parse_errors_total == {}


def failed_create(uid: str, count: int, *, quota: str = "q", ns: str = "dev") -> Event:
    message = (
        f'Error creating: pods "web-{uid}" is forbidden: exceeded quota: {quota}, '
        "requested: requests.cpu=500m,requests.memory=1Gi, used: requests.cpu=2,"
        "requests.memory=1Gi, limited: requests.cpu=2,requests.memory=2Gi"
    )
    return {
        "metadata": {"name": f"web.{uid}", "namespace": ns, "uid": uid},
        "involvedObject": {"kind": "ReplicaSet", "namespace": ns, "name": "web"},
        "reason": "FailedCreate",
        "message": message,
        "count": count,
        "lastTimestamp": f"2024-05-01T10:00:0{count % 10}Z",
    }


def test_events_are_counted_by_the_state_rejection_counter() -> None:
    state, health = new_state()
    state.apply("resourcequotas", "ADDED", quota("dev", "q", {"requests.cpu": "2"}))
    relist(state, "events", [failed_create("old", 4)])  # the startup baseline counts nothing
    assert view(state, "dev").rejections == (("q", "requests.cpu", 0), ("q", "requests.memory", 0))
    before = state.version("dev")
    state.apply("events", "MODIFIED", failed_create("old", 6))
    state.apply("events", "ADDED", failed_create("new", 1))
    assert state.version("dev") > before
    assert view(state, "dev").rejections == (("q", "requests.cpu", 3), ("q", "requests.memory", 3))
    assert state.rejections.totals()[("dev", "q", "requests.cpu")] == 3
    # Only quotas that exist are exported; the counter keeps its totals.
    state.apply("events", "ADDED", failed_create("gone", 2, quota="deleted-q"))
    assert {name for name, _, _ in view(state, "dev").rejections} == {"q"}
    unreadable: Event = {**failed_create("bad", 1), "message": "exceeded quota: q, requested: ???"}
    state.apply("events", "ADDED", unreadable)
    assert health.parse_errors_total["events"] == 1


def test_a_given_rejection_counter_is_used() -> None:
    counter = RejectionCounter()
    state = ClusterState(health=InformerHealth(), rejections=counter)
    relist(state, "events", [])
    state.apply("events", "ADDED", failed_create("e1", 2))
    assert state.rejections is counter
    assert counter.totals() == {("dev", "q", "requests.cpu"): 2, ("dev", "q", "requests.memory"): 2}


def claim(ns: str, name: str, size: str | None, cls: str, phase: str) -> PersistentVolumeClaim:
    requests = {"storage": size} if size else {}
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"storageClassName": cls, "resources": {"requests": requests}},
        "status": {"phase": phase},
    }


def test_claims_add_storage_requests_per_namespace_and_class() -> None:
    state, _ = new_state()
    for body in (
        claim("data", "a", "10Gi", "fast", "Bound"),
        claim("data", "b", "1.5Gi", "fast", "Pending"),
        claim("data", "c", "5Gi", "standard", "Bound"),
        claim("data", "lost", "100Gi", "standard", "Lost"),  # holds no storage
        claim("data", "empty", None, "standard", "Bound"),
    ):
        state.apply("persistentvolumeclaims", "ADDED", body)
    state.apply("pods", "ADDED", pod("data", "app", APP))
    data = row(state.snapshot(), "data")
    assert data.storage == (("fast", 23 * GI // 2), ("standard", 5 * GI))
    assert dict(data.requests)["storage"] == 33 * GI // 2
    assert dict(data.requests)["cpu"] == 100 * M
    state.apply("persistentvolumeclaims", "MODIFIED", claim("data", "b", "1.5Gi", "fast", "Lost"))
    state.apply("pods", "DELETED", pod("data", "app"))
    data = row(state.snapshot(), "data")  # no pods left: a row for the claims alone
    assert data.requests == (("storage", 15 * GI),)
    assert data.phases == ()
    assert data.limits == ()
    for name in ("a", "c"):
        state.apply("persistentvolumeclaims", "DELETED", claim("data", name, None, "", "Bound"))
    assert state.snapshot().namespaces == ()


def test_versions_move_with_what_is_exported_and_only_then() -> None:
    state, _ = new_state()
    relist(state, "namespaces", [namespace("dev", team="agents"), namespace("prod")])
    state.apply("pods", "ADDED", pod("dev", "a", APP))
    snap = state.snapshot()
    dev, prod = state.version("dev"), state.version("prod")
    moved: Pod = {**pod("dev", "a", APP), "status": {"phase": "Running", "podIP": "10.0.0.9"}}
    state.apply("pods", "MODIFIED", moved)
    assert state.version("dev") == dev  # a status-only change moves nothing exported
    assert state.snapshot().spaces == snap.spaces
    state.apply("namespaces", "MODIFIED", namespace("dev", team="platform"))
    assert state.version("dev") > dev
    assert state.version("prod") == prod
    new = state.snapshot()
    assert view(state, "dev").team == "platform"
    assert new.spaces[1] is snap.spaces[1]  # prod's view is handed out again, not rebuilt
    assert [v.namespace for v in new.spaces] == ["dev", "prod"]
    state.apply("namespaces", "DELETED", namespace("prod"))
    assert [v.namespace for v in state.snapshot().spaces] == ["dev"]
    assert state.version("prod") == 0


# -- the incremental aggregates equal a recomputation from scratch ------------------------

QUANTITIES = st.sampled_from(["0", "50m", "100m", "1", "1.5", "64Mi", "1Gi", "bad!"])
RESOURCES = st.dictionaries(
    st.sampled_from(["cpu", "memory", "nvidia.com/gpu"]), QUANTITIES, max_size=2
)
CONTAINERS = st.lists(st.builds(ctr, st.sampled_from(["a", "b"]), RESOURCES, RESOURCES), max_size=2)
NAMESPACES = st.sampled_from(["a", "b", "c"])


@st.composite
def pods(draw: st.DrawFn) -> Pod:
    spec: dict = {"containers": draw(CONTAINERS)}
    if draw(st.booleans()):
        spec["initContainers"] = draw(CONTAINERS)
    if draw(st.booleans()):
        spec["activeDeadlineSeconds"] = 60
    phase = draw(st.sampled_from(["Pending", "Running", "Succeeded", "Failed"]))
    name = draw(st.sampled_from(["p0", "p1", "p2", "p3"]))
    return pod(draw(NAMESPACES), name, *spec.pop("containers"), phase=phase, **spec)


@st.composite
def quotas(draw: st.DrawFn) -> ResourceQuota:
    keys = ["pods", "count/pods", "requests.cpu", "limits.memory", "requests.nvidia.com/gpu"]
    hard = draw(st.dictionaries(st.sampled_from(keys), st.just("10"), max_size=4))
    scopes = draw(st.sampled_from([[], ["BestEffort"], ["NotBestEffort"], ["Terminating"]]))
    return quota(draw(NAMESPACES), draw(st.sampled_from(["q0", "q1"])), hard, scopes=scopes)


OPS = st.one_of(
    st.tuples(st.just("put"), st.just("pods"), pods()),
    st.tuples(st.just("put"), st.just("resourcequotas"), quotas()),
    st.tuples(st.just("delete"), st.just("pods"), pods()),
    st.tuples(st.just("delete"), st.just("resourcequotas"), quotas()),
    st.tuples(st.just("relist"), st.just("pods"), st.lists(pods(), max_size=6)),
    # Same pod, new phase or new status details: the changes watch streams carry most.
    st.tuples(
        st.just("rephase"),
        st.just("pods"),
        st.tuples(st.integers(0, 20), st.sampled_from(["Running", "Succeeded", "Failed"])),
    ),
)


def key(body: WatchedObject) -> tuple[str, str]:
    return body["metadata"]["namespace"], body["metadata"]["name"]


def decodable(body: dict) -> bool:
    try:
        pod_requests(body["spec"]), pod_limits(body["spec"])
    except QuantityError:
        return False
    return True


def apply_op(state: ClusterState, world: dict[str, dict], op: tuple) -> None:
    action, kind, payload = op
    if action == "put":
        event = "MODIFIED" if key(payload) in world[kind] else "ADDED"
        state.apply(kind, event, payload)
        world[kind][key(payload)] = payload
    elif action == "rephase":
        if world[kind]:
            index, phase = payload
            was: Pod = list(world[kind].values())[index % len(world[kind])]
            body: Pod = {**was, "status": {"phase": phase, "podIP": f"10.0.0.{index}"}}
            state.apply(kind, "MODIFIED", body)
            world[kind][key(body)] = body
    elif action == "delete":
        state.apply(kind, "DELETED", payload)
        world[kind].pop(key(payload), None)
    else:
        relist(state, kind, payload)
        world[kind] = {key(body): body for body in payload}
    world[kind] = {k: b for k, b in world[kind].items() if kind != "pods" or decodable(b)}


def from_scratch(world: dict[str, dict]) -> tuple[dict, dict]:
    """Per-namespace sums and per-quota usage, straight from the bodies."""
    sums: dict[str, dict] = {}
    for (ns, _), body in world["pods"].items():
        spec, phase = body["spec"], body["status"]["phase"]
        agg = sums.setdefault(
            ns,
            {
                "phases": Counter(),
                "requests": Counter(),
                "limits": Counter(),
                "no_req": Counter(),
                "no_lim": Counter(),
            },
        )
        agg["phases"][phase] += 1
        if is_terminal(phase):
            continue
        for name, value in pod_requests(spec).items():
            agg["requests"][name] += value.nanos
        for name, value in pod_limits(spec).items():
            agg["limits"][name] += value.nanos
        for c in spec["containers"] + spec.get("initContainers", []):
            for resource in ("cpu", "memory"):
                agg["no_req"][resource] += resource not in c["resources"]["requests"]
                agg["no_lim"][resource] += resource not in c["resources"]["limits"]
    usage = {}
    for qkey, body in world["resourcequotas"].items():
        total = {k: 0 for k in body["status"]["hard"] if is_compute_key(k)}
        for pkey, pbody in world["pods"].items():
            spec = pbody["spec"]
            if pkey[0] != qkey[0] or is_terminal(pbody["status"]["phase"]):
                continue
            if matches_scopes(body["spec"], pod_scope_facts(spec)):
                for k, v in pod_quota_usage(pod_requests(spec), pod_limits(spec)).items():
                    if k in total:
                        total[k] += v.nanos
        usage[qkey] = total
    return sums, usage


def incremental(snapshot: StateSnapshot) -> tuple[dict, dict]:
    sums = {
        r.namespace: {
            "phases": Counter(dict(r.phases)),
            "requests": Counter(dict(r.requests)),
            "limits": Counter(dict(r.limits)),
            "no_req": Counter(dict(r.without_requests)),
            "no_lim": Counter(dict(r.without_limits)),
        }
        for r in snapshot.namespaces
    }
    usage = {(r.quota.namespace, r.quota.name): dict(r.observed) for r in snapshot.quotas}
    return sums, usage


@settings(max_examples=150, deadline=None)
@given(st.lists(OPS, max_size=25))
def test_incremental_aggregates_equal_a_recomputation(ops: list[tuple]) -> None:
    state, _ = new_state()
    world: dict[str, dict] = {"pods": {}, "resourcequotas": {}}
    for op in ops:
        apply_op(state, world, op)
        state.snapshot()  # cache views, so that only touched ones may be rebuilt
    got_sums, got_usage = incremental(state.snapshot())
    want_sums, want_usage = from_scratch(world)
    # Counter equality ignores zero counts; sums kept at 0 are checked by key sets below.
    assert got_sums == want_sums
    assert got_usage == want_usage
    for ns, agg in want_sums.items():
        assert {k for k, _ in row(state.snapshot(), ns).requests} == set(agg["requests"])
    # The cached views equal the views of a state loaded from scratch, versions aside.
    fresh, _ = new_state()
    for kind, bodies in world.items():
        relist(fresh, kind, list(bodies.values()))
    assert unversioned(state.snapshot()) == unversioned(fresh.snapshot())


def unversioned(snapshot: StateSnapshot) -> list[SpaceView]:
    return [dataclasses.replace(v, version=0) for v in snapshot.spaces]


def test_single_record_lookups() -> None:
    state, _ = new_state()
    relist(state, "pods", [pod("dev", "a", APP)])
    found = state.pod("dev", "a")
    assert found is not None
    assert (found.namespace, found.name) == ("dev", "a")
    assert state.pod("dev", "b") is None
    assert state.pod("nowhere", "a") is None
    assert state.pvc("dev", "data") is None
    assert state.node("worker-1") is None
