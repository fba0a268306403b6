"""Quota rejections: literal kube-apiserver messages, count deltas, relists, the simulator."""

from __future__ import annotations

import copy
from typing import Any, Unpack

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.model.bodies import Event
from exporter.model.rejections import (
    COMBINED_PREFIX,
    Rejection,
    RejectionCounter,
    RejectionParseError,
    parse_rejection,
)
from quotasim.cluster import DEPLOYMENT, EVENT, Cluster
from quotasim.scenario import load_scenario

LIMITS = (
    'Error creating: pods "agent-api-7d9f8b6c5d-x2x9z" is forbidden: exceeded quota: dev-quota,'
    " requested: limits.cpu=500m,limits.memory=512Mi, used: limits.cpu=4,limits.memory=4Gi,"
    " limited: limits.cpu=4,limits.memory=4Gi"
)
PODS = (
    'Error creating: pods "web-5f6d7c8b9-abcde" is forbidden: exceeded quota: pod-count,'
    " requested: pods=1, used: pods=10, limited: pods=10"
)
NOT_QUOTA = (
    'Error creating: pods "agent-api-7d9f8b6c5d-x2x9z" is forbidden: maximum cpu usage per'
    " Container is 500m, but limit is 1"
)


# -- parse_rejection ------------------------------------------------------------------------


def test_exceeded_with_several_limited_resources() -> None:
    assert parse_rejection(LIMITS) == Rejection(
        quota="dev-quota",
        resources=("limits.cpu", "limits.memory"),
        kind="exceeded",
        pod="agent-api-7d9f8b6c5d-x2x9z",
        requested=(("limits.cpu", "500m"), ("limits.memory", "512Mi")),
        used=(("limits.cpu", "4"), ("limits.memory", "4Gi")),
        limited=(("limits.cpu", "4"), ("limits.memory", "4Gi")),
    )


def test_exceeded_with_one_limited_resource() -> None:
    rejection = parse_rejection(PODS)
    assert rejection is not None
    assert (rejection.quota, rejection.resources, rejection.pod) == (
        "pod-count",
        ("pods",),
        "web-5f6d7c8b9-abcde",
    )
    assert (rejection.requested, rejection.used) == ((("pods", "1"),), (("pods", "10"),))


def test_combined_prefix_is_the_latest_message() -> None:
    assert parse_rejection(COMBINED_PREFIX + LIMITS) == parse_rejection(LIMITS)


@pytest.mark.parametrize(
    ("missing", "resources"),
    [
        ("limits.cpu for: app; limits.memory for: app", ("limits.cpu", "limits.memory")),
        (
            "limits.cpu for: app,sidecar; requests.memory for: init",
            ("limits.cpu", "requests.memory"),
        ),
        ("limits.cpu,limits.memory", ("limits.cpu", "limits.memory")),  # clusters before 1.28
        ("requests.cpu", ("requests.cpu",)),
    ],
)
def test_must_specify_in_both_wordings(missing: str, resources: tuple[str, ...]) -> None:
    message = (
        'Error creating: pods "batch-6c9f-7xk2p" is forbidden: failed quota: compute: '
        f"must specify {missing}"
    )
    assert parse_rejection(message) == Rejection(
        quota="compute", resources=resources, kind="must-specify", pod="batch-6c9f-7xk2p"
    )


def test_statefulset_wording() -> None:
    message = (
        'create Pod db-3 in StatefulSet db failed error: pods "db-3" is forbidden: exceeded'
        " quota: data, requested: requests.storage=20Gi, used: requests.storage=90Gi,"
        " limited: requests.storage=100Gi"
    )
    rejection = parse_rejection(message)
    assert rejection is not None
    assert (rejection.quota, rejection.resources, rejection.pod) == (
        "data",
        ("requests.storage",),
        "db-3",
    )


def test_extended_resource_and_object_count_keys() -> None:
    message = (
        'Error creating: pods "train-0-" is forbidden: exceeded quota: gpu.team-a, requested:'
        " count/deployments.apps=1,requests.nvidia.com/gpu=2, used:"
        " count/deployments.apps=5,requests.nvidia.com/gpu=7, limited:"
        " count/deployments.apps=5,requests.nvidia.com/gpu=8"
    )
    rejection = parse_rejection(message)
    assert rejection is not None
    assert rejection.quota == "gpu.team-a"
    assert rejection.pod == "train-0-"  # a name not generated yet is printed as generateName
    assert rejection.resources == ("count/deployments.apps", "requests.nvidia.com/gpu")
    assert dict(rejection.limited) == {
        "count/deployments.apps": "5",
        "requests.nvidia.com/gpu": "8",
    }


def test_cronjob_refusal_names_the_job() -> None:
    message = (
        'Error creating job: jobs.batch "nightly-28999" is forbidden: exceeded quota: jobs,'
        " requested: count/jobs.batch=1, used: count/jobs.batch=3, limited: count/jobs.batch=3"
    )
    rejection = parse_rejection(message)
    assert rejection is not None
    assert (rejection.pod, rejection.resources) == ("nightly-28999", ("count/jobs.batch",))


@pytest.mark.parametrize(
    "message",
    [
        NOT_QUOTA,
        'Error creating: pods "x" is forbidden: error looking up service account dev/app:'
        ' serviceaccount "app" not found',
        'Error creating: pods "x" is forbidden: status unknown for quota: q, resources: pods',
        "Created pod: agent-api-7d9f8b6c5d-x2x9z",
        "",
    ],
)
def test_other_messages_are_not_rejections(message: str) -> None:
    assert parse_rejection(message) is None


@pytest.mark.parametrize(
    "message",
    [
        'Error creating: pods "x" is forbidden: exceeded quota: dev-quota',
        'pods "x" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=1, limited: ',
        'pods "x" is forbidden: exceeded quota: q requested: cpu=1 used: cpu=1 limited: cpu=1',
        'pods "x" is forbidden: failed quota: q: something we have never seen',
    ],
)
def test_unreadable_quota_messages_are_errors(message: str) -> None:
    with pytest.raises(RejectionParseError):
        parse_rejection(message)


# -- RejectionCounter -----------------------------------------------------------------------


def event(uid: str, count: int = 1, message: str = LIMITS, /, **extra: Unpack[Event]) -> Event:
    """A FailedCreate Event as LIST and WATCH deliver it."""
    body: Event = {
        "metadata": {"uid": uid, "namespace": "dev", "name": f"agent-api.{uid}"},
        "involvedObject": {"kind": "ReplicaSet", "namespace": "dev", "name": "agent-api"},
        "reason": "FailedCreate",
        "message": message,
        "count": count,
        "lastTimestamp": "2024-05-01T10:00:00Z",
    }
    return {**body, **extra}


def relist(counter: RejectionCounter, events: list[Event], page: int = 2) -> None:
    counter.begin_relist()
    for start in range(0, len(events), page):
        counter.add_listed(events[start : start + page])
    counter.end_relist()


def started(*events: Event) -> RejectionCounter:
    counter = RejectionCounter()
    relist(counter, list(events))
    return counter


CPU, MEM = ("dev", "dev-quota", "limits.cpu"), ("dev", "dev-quota", "limits.memory")


def test_the_first_list_is_a_baseline() -> None:
    counter = started(event("a", 7), event("b", 2))
    assert counter.totals() == {CPU: 0, MEM: 0}  # series exist from the start, at zero


def test_a_new_event_adds_its_count() -> None:
    counter = started()
    counter.apply("ADDED", event("a"))
    counter.apply("ADDED", event("b", 3))  # created while the recorder held it back
    assert counter.totals() == {CPU: 4, MEM: 4}


def test_count_deltas_are_counted_once() -> None:
    counter = started(event("a", 3))
    counter.apply("MODIFIED", event("a", 5))
    counter.apply("MODIFIED", event("a", 5))  # same count: nothing new
    counter.apply("MODIFIED", event("a", 4))  # a stale copy lowers nothing
    counter.apply("MODIFIED", event("a", 6))
    assert counter.totals()[CPU] == 3


def test_delete_adds_nothing_and_forgets() -> None:
    counter = started(event("a", 3))
    counter.apply("DELETED", event("a", 3))
    assert (counter.totals()[CPU], counter.live_events) == (0, 0)


def test_a_relist_does_not_count_again() -> None:
    counter = started(event("a", 3))
    counter.apply("ADDED", event("b", 1))
    counter.apply("MODIFIED", event("a", 4))
    relist(counter, [event("a", 4), event("b", 1)])
    assert counter.totals()[CPU] == 2


def test_a_relist_after_a_gap_counts_what_happened_in_it() -> None:
    counter = started(event("a", 3), event("gone", 1))
    # During the gap: a bumped twice, c created and bumped, gone expired.
    relist(counter, [event("a", 5), event("c", 2)])
    assert counter.totals()[CPU] == 4
    assert counter.live_events == 2


def test_a_first_list_restarted_midway_is_still_the_baseline() -> None:
    counter = RejectionCounter()
    counter.begin_relist()
    counter.add_listed([event("a", 3)])
    relist(counter, [event("a", 3), event("b", 2)])  # the LIST failed and started over
    assert counter.totals()[CPU] == 0


def test_the_combined_event_counts_each_bump() -> None:
    counter = started(*(event(str(i)) for i in range(9)))
    combined = event("combined", 1, COMBINED_PREFIX + LIMITS)
    counter.apply("ADDED", combined)
    counter.apply("MODIFIED", {**combined, "count": 2})
    counter.apply("MODIFIED", {**combined, "count": 4})
    assert counter.totals()[CPU] == 4


def test_a_combined_bump_goes_to_the_message_it_carries() -> None:
    counter = started(event("combined", 5, COMBINED_PREFIX + LIMITS))
    counter.apply("MODIFIED", event("combined", 6, COMBINED_PREFIX + NOT_QUOTA))
    counter.apply("MODIFIED", event("combined", 8, COMBINED_PREFIX + PODS))
    assert counter.totals() == {CPU: 0, MEM: 0, ("dev", "pod-count", "pods"): 2}


def test_an_expired_event_recreated_by_client_go_adds_one() -> None:
    counter = started()
    recreated = event(
        "new-uid",
        57,
        firstTimestamp="2024-05-01T07:00:00Z",
        metadata={
            "uid": "new-uid",
            "namespace": "dev",
            "creationTimestamp": "2024-05-01T10:00:00Z",
        },
    )
    counter.apply("ADDED", recreated)
    counter.apply("MODIFIED", {**recreated, "count": 58})
    assert counter.totals()[CPU] == 2


def test_a_late_created_event_keeps_its_count() -> None:
    # The spam filter can hold a new Event back for minutes; its count is all new.
    counter = started()
    late = event(
        "late",
        4,
        firstTimestamp="2024-05-01T09:50:00Z",
        metadata={"uid": "late", "namespace": "dev", "creationTimestamp": "2024-05-01T10:00:00Z"},
    )
    counter.apply("ADDED", late)
    assert counter.totals()[CPU] == 4


def test_parse_errors_and_other_reasons() -> None:
    bad = 'Error creating: pods "x" is forbidden: exceeded quota: dev-quota'
    counter = started(event("old-bad", 2, bad))
    counter.apply("ADDED", event("bad", 1, bad))
    counter.apply("MODIFIED", event("bad", 1, bad))  # the same occurrence: one error
    counter.apply("ADDED", event("other", 1, NOT_QUOTA))
    counter.apply("ADDED", event("ok", 1, LIMITS, reason="SuccessfulCreate"))
    assert (counter.parse_errors, counter.totals(), counter.live_events) == (2, {}, 3)


def test_the_last_rejection_is_the_newest() -> None:
    newer = event("a", 1, PODS, lastTimestamp="2024-05-01T10:05:00Z")
    older = event("b", 1, PODS.replace("web-5f6d7c8b9-abcde", "web-5f6d7c8b9-zzzzz"))
    counter = started(newer, older)  # a LIST returns them by name, not by time
    assert counter.last_rejections() == {
        ("dev", "pod-count"): {
            "time": "2024-05-01T10:05:00Z",
            "pod": "web-5f6d7c8b9-abcde",
            "kind": "exceeded",
            "resources": ["pods"],
            "requested": {"pods": "1"},
            "used": {"pods": "10"},
            "limited": {"pods": "10"},
        }
    }


# -- against the simulator ------------------------------------------------------------------


def test_counts_every_refusal_of_the_simulator_past_the_combining_point() -> None:
    clock = [1_714_557_600.0]
    cluster = Cluster(seed=3, clock=lambda: clock[0])
    load_scenario(cluster, "reference")
    refusals = 0
    record = cluster.events.record

    def counting_record(involved: dict, **kwargs: Any) -> dict:
        nonlocal refusals
        if kwargs["reason"] == "FailedCreate":
            refusals += 1
        return record(involved, **kwargs)

    cluster.events.record = counting_record  # type: ignore[method-assign]  # counts its calls
    served: list[Any] = list(cluster.store.iter(EVENT))  # JSON, as the API sends it
    counter = started(*served)
    before = {e["metadata"]["uid"]: e["count"] for e in cluster.store.iter(EVENT)}
    rv = cluster.store.rv

    dep = copy.deepcopy(cluster.get(DEPLOYMENT, "dev", "agent-api"))
    dep["spec"]["replicas"] = 30
    cluster.update(DEPLOYMENT, dep, namespace="dev")
    for _ in range(25):  # each retry is refused again, with a new pod name
        clock[0] += 5
        cluster.resync()
    history = [e for e in cluster.store.events_since(rv) if e.rtype is EVENT]
    for change in history:
        sent: Any = change.obj  # likewise
        counter.apply(change.type, sent)

    failed = [e for e in cluster.store.iter(EVENT) if e["reason"] == "FailedCreate"]
    from_counts = sum(e["count"] - before.get(e["metadata"]["uid"], 0) for e in failed)
    from_history = sum(
        c.obj["count"] - (c.old["count"] if c.old else 0)
        for c in history
        if c.obj["reason"] == "FailedCreate"
    )
    combined = [e for e in failed if e["message"].startswith(COMBINED_PREFIX)]
    assert len(combined) == 1  # the scenario went past 10 distinct messages
    assert combined[0]["count"] > 1
    assert refusals == from_counts == from_history > 10
    assert counter.totals()[CPU] == counter.totals()[MEM] == refusals
    assert counter.parse_errors == 0
    assert counter.last_rejections()["dev", "dev-quota"]["pod"].startswith("agent-api-")
    served = list(cluster.store.iter(EVENT))
    relist(counter, served)  # a relist changes nothing
    assert counter.totals()[CPU] == refusals


# -- property: totals equal the occurrences after the baseline ------------------------------

MESSAGES = (LIMITS, PODS, NOT_QUOTA)
OPS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("bump"), st.integers(0, 30), st.integers(1, 3)),
    st.tuples(st.just("delete"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("gap"), st.just(0), st.just(0)),
    st.tuples(st.just("relist"), st.just(0), st.just(0)),
)


class World:
    """Live Events and the true occurrences since the baseline, per quota key."""

    def __init__(self, initial: list[tuple[int, int]]) -> None:
        self.live = {f"i{n}": (m, c) for n, (m, c) in enumerate(initial)}
        self.unseen: set[str] = set()  # Events changed during the current gap
        self.truth = {CPU: 0, MEM: 0, ("dev", "pod-count", "pods"): 0}
        self.created, self.in_gap = 0, False

    def body(self, uid: str) -> Event:
        message, count = self.live[uid]
        return event(uid, count, MESSAGES[message])

    def occur(self, uid: str, times: int) -> None:
        rejection = parse_rejection(MESSAGES[self.live[uid][0]])
        if rejection is None:
            return
        for resource in rejection.resources:
            self.truth["dev", rejection.quota, resource] += times


def step(world: World, counter: RejectionCounter, op: tuple[str, int, int]) -> None:
    name, arg, times = op
    uids = sorted(world.live)
    if name == "create":
        uid, world.created = f"n{world.created}", world.created + 1
        world.live[uid] = (arg, 1)
        world.occur(uid, 1)
        changed = ("ADDED", uid)
    elif name == "bump" and uids:
        uid = uids[arg % len(uids)]
        world.live[uid] = (world.live[uid][0], world.live[uid][1] + times)
        world.occur(uid, times)
        changed = ("MODIFIED", uid)
    elif name == "delete" and uids:
        uid = uids[arg % len(uids)]
        if uid in world.unseen:
            return  # Events live an hour: none expires with refusals we have not seen
        if not world.in_gap:  # else the relist finds it gone
            counter.apply("DELETED", world.body(uid))
        del world.live[uid]
        return
    elif name == "gap":
        world.in_gap = True
        return
    elif name == "relist":
        relist(counter, [world.body(uid) for uid in sorted(world.live)])
        world.in_gap, world.unseen = False, set()
        return
    else:
        return
    if world.in_gap:
        world.unseen.add(changed[1])
    else:
        counter.apply(changed[0], world.body(changed[1]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 5)), max_size=5),
    st.lists(OPS, max_size=40),
)
def test_totals_equal_occurrences_after_the_baseline(
    initial: list[tuple[int, int]], ops: list[tuple[str, int, int]]
) -> None:
    world = World(initial)
    counter = RejectionCounter()
    relist(counter, [world.body(uid) for uid in sorted(world.live)])
    for op in ops:
        step(world, counter, op)
    step(world, counter, ("relist", 0, 0))  # catch up on a trailing gap
    totals = counter.totals()
    assert {key: totals.get(key, 0) for key in world.truth} == world.truth
    assert counter.live_events == len(world.live)
