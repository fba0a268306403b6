"""LimitRange compliance: exact constraint checks, incremental counts, tightened LimitRanges."""

from __future__ import annotations

from typing import Unpack

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.model.bodies import (
    Container,
    LimitRange,
    LimitRangeItem,
    Pod,
    PodSpec,
    ResourceList,
)
from exporter.model.compliance import limitrange_checks, pod_violations, violates
from exporter.model.health import InformerHealth
from exporter.model.records import decode_limitrange, decode_pod
from exporter.model.snapshot import SpaceView
from exporter.model.state import ClusterState

M = 10**6  # nanos per milli-unit
G = 10**9


def ctr(
    name: str, requests: ResourceList | None = None, limits: ResourceList | None = None
) -> Container:
    return {"name": name, "resources": {"requests": requests or {}, "limits": limits or {}}}


def pod(
    name: str, *app: Container, phase: str = "Running", ns: str = "dev", **spec: Unpack[PodSpec]
) -> Pod:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": list(app), **spec},
        "status": {"phase": phase},
    }


def limitrange(name: str, *limits: LimitRangeItem, ns: str = "dev") -> LimitRange:
    return {"metadata": {"name": name, "namespace": ns}, "spec": {"limits": list(limits)}}


def view(state: ClusterState, ns: str = "dev") -> SpaceView:
    return next(v for v in state.snapshot().spaces if v.namespace == ns)


def counts(state: ClusterState, ns: str = "dev") -> dict[tuple[str, str, str], int]:
    return {(lr, r, c): n for lr, r, c, n in view(state, ns).violations}


@pytest.mark.parametrize(
    ("constraint", "enforced", "requested", "limit", "expected"),
    [
        ("min", 100 * M, 100 * M, None, False),  # equal is inside
        ("min", 100 * M, 100 * M - 1, None, True),  # one nano short
        ("min", 100 * M, None, 500 * M, True),  # LimitRanger: no request specified
        ("min", 100 * M, 200 * M, 50 * M, True),  # the limit is below min too
        ("max", 500 * M, None, 500 * M, False),
        ("max", 500 * M, 100 * M, 500 * M + 1, True),
        ("max", 500 * M, 100 * M, None, True),  # no limit: unbounded, above any max
        ("max", 500 * M, 600 * M, 400 * M, True),  # a request above max
        ("maxLimitRequestRatio", 2 * G, 250 * M, 500 * M, False),  # exactly 2
        ("maxLimitRequestRatio", 2 * G, 250 * M, 500 * M + 1, True),
        ("maxLimitRequestRatio", 1500 * M, 2 * G, 3 * G, False),  # 1.5 exactly
        ("maxLimitRequestRatio", 2 * G, 0, 500 * M, True),  # request 0
        ("maxLimitRequestRatio", 2 * G, 250 * M, None, True),
    ],
)
def test_constraints_compare_exact_nanos(
    constraint: str, enforced: int, requested: int | None, limit: int | None, expected: bool
) -> None:
    assert violates(constraint, enforced, requested, limit) is expected


CONTAINER_LIMITS: LimitRangeItem = {
    "type": "Container",
    "min": {"cpu": "50m"},
    "max": {"cpu": "1", "memory": "1Gi"},
    "maxLimitRequestRatio": {"cpu": "4"},
    "default": {"cpu": "500m"},  # defaults only matter at admission: never checked
}


def test_literal_pods_are_counted_per_container_and_constraint() -> None:
    checks = (("lr", limitrange_checks(decode_limitrange(limitrange("lr", CONTAINER_LIMITS)))),)
    inside = ctr("ok", {"cpu": "100m", "memory": "64Mi"}, {"cpu": "400m", "memory": "128Mi"})
    greedy = ctr("big", {"cpu": "10m"}, {"cpu": "2", "memory": "2Gi"})
    body = pod("p", inside, greedy, initContainers=[ctr("init", {"cpu": "50m"})])
    got = sorted(pod_violations(decode_pod(body), checks))
    assert got == [
        # big: request below min, limit above max, ratio 2/0.01 = 200 > 4
        ("lr", "cpu", "max"),  # big
        ("lr", "cpu", "max"),  # init: no cpu limit
        ("lr", "cpu", "maxLimitRequestRatio"),  # big
        ("lr", "cpu", "maxLimitRequestRatio"),  # init: no limit
        ("lr", "cpu", "min"),  # big
        ("lr", "memory", "max"),  # big: 2Gi
        ("lr", "memory", "max"),  # init: no memory limit
    ]


def test_state_counts_violations_and_follows_pod_changes() -> None:
    state = ClusterState(health=InformerHealth())
    state.apply("limitranges", "ADDED", limitrange("lr", CONTAINER_LIMITS))
    inside = ctr("c", {"cpu": "100m"}, {"cpu": "400m", "memory": "128Mi"})
    greedy = ctr("c", {"cpu": "100m"}, {"cpu": "2", "memory": "128Mi"})
    state.apply("pods", "ADDED", pod("a", inside))
    state.apply("pods", "ADDED", pod("b", greedy))
    state.apply("pods", "ADDED", pod("done", greedy, phase="Succeeded"))
    assert counts(state) == {
        ("lr", "cpu", "min"): 0,
        ("lr", "cpu", "max"): 1,
        ("lr", "memory", "max"): 0,
        ("lr", "cpu", "maxLimitRequestRatio"): 1,  # 2 / 0.1 = 20
    }
    state.apply("pods", "MODIFIED", pod("a", greedy))
    assert counts(state)[("lr", "cpu", "max")] == 2
    state.apply("pods", "MODIFIED", pod("b", greedy, phase="Failed"))
    state.apply("pods", "DELETED", pod("a"))
    assert set(counts(state).values()) == {0}


def test_a_limitrange_tightened_after_the_pods_started_shows_them() -> None:
    state = ClusterState(health=InformerHealth())
    app = ctr("app", {"cpu": "200m", "memory": "256Mi"}, {"cpu": "500m", "memory": "512Mi"})
    for name in ("a", "b", "c"):
        state.apply("pods", "ADDED", pod(name, app))
    loose: LimitRangeItem = {
        "type": "Container",
        "max": {"cpu": "1", "memory": "1Gi"},
        "min": {"cpu": "100m"},
    }
    state.apply("limitranges", "ADDED", limitrange("limits", loose))
    assert set(counts(state).values()) == {0}
    tight: LimitRangeItem = {
        "type": "Container",
        "max": {"cpu": "500m", "memory": "256Mi"},
        "min": {"cpu": "250m"},
    }
    state.apply("limitranges", "MODIFIED", limitrange("limits", tight))
    assert counts(state) == {
        ("limits", "cpu", "max"): 0,  # 500m is max exactly
        ("limits", "memory", "max"): 3,
        ("limits", "cpu", "min"): 3,
    }
    state.apply("limitranges", "DELETED", limitrange("limits"))
    assert counts(state) == {}


def test_pod_limits_check_the_effective_pod_values() -> None:
    state = ClusterState(health=InformerHealth())
    per_pod: LimitRangeItem = {"type": "Pod", "max": {"cpu": "1"}, "min": {"memory": "100Mi"}}
    state.apply("limitranges", "ADDED", limitrange("pod-lr", per_pod))
    half = ctr("c", {"cpu": "300m", "memory": "64Mi"}, {"cpu": "600m", "memory": "64Mi"})
    state.apply("pods", "ADDED", pod("two", half, half))  # 1200m of limits, 128Mi requested
    state.apply("pods", "ADDED", pod("one", half))  # 600m, but 64Mi < 100Mi
    assert counts(state) == {("pod-lr", "cpu", "max"): 1, ("pod-lr", "memory", "min"): 1}


def test_limitranges_of_other_namespaces_and_types_do_not_apply() -> None:
    state = ClusterState(health=InformerHealth())
    pvc_only: LimitRangeItem = {"type": "PersistentVolumeClaim", "max": {"storage": "1Gi"}}
    state.apply("limitranges", "ADDED", limitrange("pvc", pvc_only))
    strict: LimitRangeItem = {"type": "Container", "max": {"cpu": "1m"}}
    state.apply("limitranges", "ADDED", limitrange("strict", strict, ns="prod"))
    state.apply("pods", "ADDED", pod("a", ctr("c", {"cpu": "1"}, {"cpu": "2"})))
    assert counts(state) == {}
    assert counts(state, "prod") == {("strict", "cpu", "max"): 0}


# -- incremental counts equal a recomputation ----------------------------------------

CPU = st.sampled_from(["0", "50m", "100m", "250m", "1", "2"])
RESOURCES = st.dictionaries(st.sampled_from(["cpu", "memory"]), CPU, max_size=2)
CONSTRAINTS = st.dictionaries(
    st.sampled_from(["min", "max", "maxLimitRequestRatio"]),
    st.dictionaries(st.sampled_from(["cpu", "memory"]), st.sampled_from(["100m", "1", "2"])),
    max_size=3,
)
LIMIT_ITEMS = st.lists(
    st.builds(
        lambda kind, c: {"type": kind, **c}, st.sampled_from(["Container", "Pod"]), CONSTRAINTS
    ),
    max_size=2,
)
PODS = st.builds(
    lambda name, containers, phase: pod(name, *containers, phase=phase),
    st.sampled_from(["p0", "p1", "p2"]),
    st.lists(st.builds(ctr, st.just("c"), RESOURCES, RESOURCES), max_size=2),
    st.sampled_from(["Running", "Pending", "Succeeded"]),
)
OPS = st.one_of(
    st.tuples(st.just("pods"), PODS),
    st.tuples(
        st.just("limitranges"),
        st.builds(
            lambda n, items: limitrange(n, *items), st.sampled_from(["l0", "l1"]), LIMIT_ITEMS
        ),
    ),
    st.tuples(st.just("delete-pod"), st.sampled_from(["p0", "p1", "p2"])),
    st.tuples(st.just("delete-limitrange"), st.sampled_from(["l0", "l1"])),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(OPS, max_size=20))
def test_incremental_counts_equal_a_recomputation(ops: list[tuple]) -> None:
    state = ClusterState(health=InformerHealth())
    pods: dict[str, Pod] = {}
    limitranges: dict[str, LimitRange] = {}
    for kind, payload in ops:
        if kind == "delete-pod":
            state.apply("pods", "DELETED", pod(payload))
            pods.pop(payload, None)
            continue
        if kind == "delete-limitrange":
            state.apply("limitranges", "DELETED", limitrange(payload))
            limitranges.pop(payload, None)
            continue
        state.apply(kind, "MODIFIED", payload)
        (pods if kind == "pods" else limitranges)[payload["metadata"]["name"]] = payload
    want: dict[tuple[str, str, str], int] = {}
    for name in sorted(limitranges):
        record = decode_limitrange(limitranges[name])
        for kind, resource, constraint, _ in record.items:
            if kind in ("Container", "Pod") and constraint != "default":
                want[(name, resource, constraint)] = 0
        checks = ((name, record.items),)
        for body in pods.values():
            for key in pod_violations(decode_pod(body), checks):
                want[key] += 1
    spaces = state.snapshot().spaces
    assert (counts(state) if spaces else {}) == want
