"""Events as client-go records them: repeats bump count, ten similar messages
combine, and an expired Event that repeats comes back under its old name."""

from __future__ import annotations

from quotasim.cluster import EVENT, NAMESPACE, Cluster
from quotasim.events import COMBINED_PREFIX

RS = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "namespace": "dev",
    "name": "api-abc",
    "uid": "u-1",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def cluster_with_clock() -> tuple[Cluster, Clock]:
    clock = Clock()
    cluster = Cluster(clock=clock)
    cluster.create(NAMESPACE, {"metadata": {"name": "dev"}})
    return cluster, clock


def events(cluster: Cluster) -> list[tuple[str, int]]:
    return sorted((e["message"], e["count"]) for e in cluster.store.iter(EVENT, "dev"))


def test_same_message_bumps_count() -> None:
    cluster, _ = cluster_with_clock()
    for _ in range(3):
        cluster.events.record(RS, kind="Warning", reason="FailedCreate", message="m")
    assert events(cluster) == [("m", 3)]


def test_tenth_distinct_message_goes_into_one_combined_event() -> None:
    cluster, _ = cluster_with_clock()
    for i in range(12):
        cluster.events.record(RS, kind="Warning", reason="FailedCreate", message=f"m{i:02d}")
    recorded = events(cluster)
    assert recorded[0] == (COMBINED_PREFIX + "m11", 3)
    assert recorded[1:] == [(f"m{i:02d}", 1) for i in range(9)]


def test_expired_event_comes_back_with_old_name_and_count() -> None:
    cluster, clock = cluster_with_clock()
    first = cluster.events.record(RS, kind="Warning", reason="FailedCreate", message="m")
    clock.now += 3601
    cluster.resync()
    assert events(cluster) == []
    again = cluster.events.record(RS, kind="Warning", reason="FailedCreate", message="m")
    assert again["metadata"]["name"] == first["metadata"]["name"]
    assert again["metadata"]["uid"] != first["metadata"]["uid"]
    assert (again["count"], again["firstTimestamp"]) == (2, first["firstTimestamp"])
