"""Cost through the informer sink: ClusterState first, then exact re-pricing of what
changed (usage, nodes, claims, teams, relists), read back through CostMeter.view."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from exporter.model.bodies import WatchedObject
from exporter.model.usage import UsageTable

from .costhelpers import HOUR, Rig, namespace, node, pod, pod_metrics, pvc

GI = 2**30
SPOT = {"karpenter.sh/capacity-type": "spot"}


def rig(tmp_path: Path, **kinds: Sequence[WatchedObject]) -> Rig:
    r = Rig(tmp_path)
    kinds.setdefault("namespaces", [namespace("dev", team="agents")])
    kinds.setdefault("nodes", [node("node-a")])
    r.sync(**kinds)
    return r


def test_a_pod_of_two_cores_for_ninety_minutes(tmp_path: Path) -> None:
    r = rig(tmp_path)
    body = pod("dev", "api", cpu="2")
    r.add("pods", body)
    r.clock.advance(1.5 * HOUR)
    r.delete("pods", body)
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.09)


def test_usage_above_the_request_is_charged_at_usage(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "api", cpu="1", memory="1Gi")])
    r.clock.advance(HOUR)  # 1 h at the request: 1 core
    r.sample(pod_metrics("dev", "api", cpu="3", memory="512Mi"))
    line = r.lines()[("dev", "agents", "cpu")]
    assert line.allocation == 3.0
    assert r.lines()[("dev", "agents", "memory")].allocation == GI  # usage below request
    r.clock.advance(HOUR)  # 1 h at usage: 3 cores
    r.usage.clear()  # metrics API down: back to the request
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.03 * (1 + 3 + 1))


def test_a_usage_sample_reprices_only_pods_whose_charge_moved(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", f"p{i}", cpu="100m", memory="64Mi") for i in range(3)])

    def sample(*usage: tuple[str, str]) -> int:
        # The plain table's replace: no subscriber runs, so the count is the feed's own.
        items = [pod_metrics("dev", name, cpu=cpu, memory="1Mi") for name, cpu in usage]
        UsageTable.replace(r.usage, items, timestamp=r.clock())
        return r.meter.feed.on_usage_sample()

    assert sample(("p0", "10m"), ("p1", "10m"), ("p2", "10m")) == 0  # below the request
    assert sample(("p0", "20m"), ("p1", "200m"), ("p2", "10m")) == 1  # p1 above it
    assert sample(("p0", "20m"), ("p1", "300m"), ("p2", "10m")) == 1
    assert sample(("p0", "20m"), ("p1", "50m")) == 1  # p1 back under; p2 unknown: request
    assert sample(("p0", "20m"), ("p1", "50m")) == 0
    assert r.lines()[("dev", "agents", "cpu")].allocation == pytest.approx(0.3)


def test_the_notifying_table_reprices_on_replace_and_clear(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "p", cpu="1")])
    r.sample(pod_metrics("dev", "p", cpu="2", memory="1Mi"))
    assert r.lines()[("dev", "agents", "cpu")].allocation == 2.0
    r.usage.clear()
    assert r.lines()[("dev", "agents", "cpu")].allocation == 1.0


def test_a_pod_moving_between_nodes_of_different_prices(tmp_path: Path) -> None:
    r = rig(tmp_path, nodes=[node("node-a"), node("spot-1", labels=SPOT)])
    r.add("pods", pod("dev", "w", cpu="2", node="node-a"))
    r.clock.advance(HOUR)  # 2 cores x 0.03
    r.modify("pods", pod("dev", "w", cpu="2", node="spot-1"))
    r.clock.advance(HOUR)  # 2 cores x 0.01
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.08)
    assert r.lines()[("dev", "agents", "cpu")].hourly_cost == pytest.approx(0.02)


def test_a_node_turning_spot_reprices_its_pods(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "w", cpu="1", node="node-a")])
    r.clock.advance(HOUR)
    r.modify("nodes", node("node-a", labels=SPOT))
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.04)


def test_a_pod_on_a_node_not_yet_known_gets_base_prices_until_it_is(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "w", cpu="1", node="spot-9")])
    r.clock.advance(HOUR)
    r.add("nodes", node("spot-9", labels=SPOT))
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.03 + 0.01)


def test_an_unscheduled_pod_costs_nothing_until_bound(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "p", cpu="1", node="")])
    r.clock.advance(HOUR)
    assert ("dev", "agents", "cpu") not in r.lines()
    r.modify("pods", pod("dev", "p", cpu="1"))
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.03)


def test_storage_by_class_with_the_star_default(tmp_path: Path) -> None:
    claims = [pvc("dev", "fast", size="10Gi", storage_class="fast"),
              pvc("dev", "other", size="20Gi", storage_class="standard")]  # fmt: skip
    r = rig(tmp_path, persistentvolumeclaims=claims)
    r.clock.advance(10 * HOUR)
    line = r.lines()[("dev", "agents", "storage")]
    assert line.allocation == 30 * GI
    assert line.hourly_cost == pytest.approx(10 * 0.0003 + 20 * 0.0001)
    assert line.cost_total == pytest.approx(10 * (10 * 0.0003 + 20 * 0.0001))
    r.delete("persistentvolumeclaims", claims[0])
    assert r.lines()[("dev", "agents", "storage")].allocation == 20 * GI


def test_capacity_and_idle_per_resource(tmp_path: Path) -> None:
    nodes = [
        node("node-a", cpu="4", memory="16Gi"),
        node("spot-1", cpu="4", memory="8Gi", labels=SPOT),
    ]
    claims = [pvc("dev", "d", size="10Gi")]
    r = rig(tmp_path, nodes=nodes, persistentvolumeclaims=claims,
            pods=[pod("dev", "w", cpu="1", memory="2Gi")])  # fmt: skip
    cluster = {c.resource: c for c in r.meter.view().cluster}
    assert sorted(cluster) == ["cpu", "gpu", "memory", "storage"]
    assert cluster["cpu"].capacity == 8.0
    assert cluster["cpu"].hourly_cost == pytest.approx(4 * 0.03 + 4 * 0.01)
    assert cluster["cpu"].idle_hourly_cost == pytest.approx(0.16 - 0.03)
    assert cluster["memory"].capacity == 24 * GI
    assert cluster["memory"].idle_hourly_cost == pytest.approx(16 * 0.004 + 8 * 0.001 - 2 * 0.004)
    assert cluster["storage"].capacity == 10 * GI
    assert cluster["storage"].idle_hourly_cost == 0.0
    assert (cluster["gpu"].capacity, cluster["gpu"].idle_hourly_cost) == (0.0, 0.0)


def test_vcluster_pods_are_charged_to_their_own_team(tmp_path: Path) -> None:
    labels = {"vcluster.loft.sh/managed-by": "sandbox", "vcluster.loft.sh/namespace": "web",
              "team": "blue"}  # fmt: skip
    r = rig(tmp_path, namespaces=[namespace("vc-sandbox", team="platform")],
            pods=[pod("vc-sandbox", "x-web", cpu="1", labels=labels),
                  pod("vc-sandbox", "syncer", cpu="1")])  # fmt: skip
    r.clock.advance(HOUR)
    assert r.cost("vc-sandbox", "blue", "cpu") == pytest.approx(0.03)
    assert r.cost("vc-sandbox", "platform", "cpu") == pytest.approx(0.03)
    r.meter.flush()
    owners = {(row.owner.team, row.owner.vcluster, row.owner.virtual_namespace)
              for row in r.meter.ledger.rows("2026-03") if row.owner.namespace}  # fmt: skip
    assert owners == {("blue", "sandbox", "web"), ("platform", "", "")}


def test_a_team_change_re_owns_the_namespace_from_that_moment(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "w", cpu="1")],
            persistentvolumeclaims=[pvc("dev", "d", size="100Gi")])  # fmt: skip
    r.clock.advance(HOUR)
    r.modify("namespaces", namespace("dev", team="platform"))
    r.clock.advance(2 * HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.03)
    assert r.cost("dev", "platform", "cpu") == pytest.approx(0.06)
    assert r.cost("dev", "platform", "storage") == pytest.approx(2 * 100 * 0.0001)
    assert r.lines()[("dev", "agents", "cpu")].hourly_cost == 0.0


def test_a_relist_drops_what_is_gone_and_prices_what_is_new(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "old", cpu="1")])
    r.clock.advance(HOUR)
    r.sink.begin_relist("pods")
    r.sink.add_listed("pods", [pod("dev", "new", cpu="2")])
    r.sink.end_relist("pods")
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == pytest.approx(0.03 + 0.06)


def test_nothing_accrues_until_every_cost_kind_has_been_listed(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    for kind, objects in (("nodes", [node("node-a")]), ("pods", [pod("dev", "w", cpu="1")])):
        r.sink.begin_relist(kind)
        r.sink.add_listed(kind, objects)
        r.sink.end_relist(kind)
    r.clock.advance(HOUR)
    assert r.cost("dev", "unallocated", "cpu") == 0.0
    r.sync(nodes=[node("node-a")], pods=[pod("dev", "w", cpu="1")])
    r.clock.advance(HOUR)
    assert r.cost("dev", "unallocated", "cpu") == pytest.approx(0.03)


def test_malformed_objects_are_not_priced(tmp_path: Path) -> None:
    r = rig(tmp_path, pods=[pod("dev", "w", cpu="1")])
    r.modify("pods", pod("dev", "w", cpu="a lot"))  # the state drops what it cannot decode
    r.sink.apply("pods", "ADDED", {"metadata": {}})
    r.clock.advance(HOUR)
    assert r.cost("dev", "agents", "cpu") == 0.0
