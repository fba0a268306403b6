"""Charges from literal records: max(request, usage), GPUs, claims, nodes, owners."""

from __future__ import annotations

from exporter.cost.allocation import Entry, node_charge, pod_charge, pod_owner, pvc_charge
from exporter.cost.pricing import parse_pricing
from exporter.cost.records import CAPACITY_OWNER, Owner
from exporter.model.bodies import Pod
from exporter.model.records import decode_node, decode_pod, decode_pvc

from .costhelpers import SIMPLE, gpu_node, node, pod, pvc

PRICES = parse_pricing(SIMPLE).base
GI = 2**30
OWNER = Owner("dev", "agents")


def charge(body: Pod, usage: tuple[int, int] | None = None) -> tuple[Entry, ...]:
    return pod_charge(decode_pod(body), owner=OWNER, prices=PRICES, usage=usage)


def test_requests_alone_when_usage_is_unknown() -> None:
    assert charge(pod("dev", "a", cpu="250m", memory="1Gi")) == (
        Entry(OWNER, "cpu", 0.03, 250_000_000),
        Entry(OWNER, "memory", 0.004, GI),
    )


def test_usage_above_the_request_is_charged_below_it_is_not() -> None:
    body = pod("dev", "a", cpu="250m", memory="1Gi")
    above = charge(body, usage=(900_000_000, GI // 2))  # cpu above, memory below
    assert [(e.resource, e.amount) for e in above] == [("cpu", 900_000_000), ("memory", GI)]


def test_a_pod_without_requests_is_charged_its_usage() -> None:
    assert [(e.resource, e.amount) for e in charge(pod("dev", "a"), usage=(5, 7))] == [
        ("cpu", 5),
        ("memory", 7),
    ]


def test_unscheduled_and_finished_pods_cost_nothing() -> None:
    assert charge(pod("dev", "a", cpu="1", node="")) == ()
    assert charge(pod("dev", "a", cpu="1", phase="Succeeded")) == ()
    assert charge(pod("dev", "a", cpu="1", phase="Failed"), usage=(10, 10)) == ()


def test_priced_extended_resources_are_gpus_others_are_not() -> None:
    body = pod("ml", "t", cpu="1", extended={"nvidia.com/gpu": "2", "example.com/fpga": "1"})
    gpus = [e for e in charge(body) if e.resource == "gpu"]
    assert gpus == [Entry(OWNER, "gpu", 2.0, 2 * 10**9)]


def test_vcluster_pods_belong_to_the_vcluster_and_its_virtual_namespace() -> None:
    labels = {"vcluster.loft.sh/managed-by": "sandbox", "vcluster.loft.sh/namespace": "web"}
    record = decode_pod(pod("vc-sandbox", "x", cpu="1", labels=labels))
    assert pod_owner(record, "blue") == Owner("vc-sandbox", "blue", "sandbox", "web")
    assert pod_owner(decode_pod(pod("dev", "y")), "agents") == Owner("dev", "agents")


def test_claims_charge_their_owner_and_provisioned_capacity_while_bound_or_pending() -> None:
    record = decode_pvc(pvc("dev", "data", size="10Gi", storage_class="fast"))
    assert pvc_charge(record, owner=OWNER, price=0.0003) == (
        Entry(OWNER, "storage", 0.0003, 10 * GI),
        Entry(CAPACITY_OWNER, "storage", 0.0003, 10 * GI),
    )
    pending = decode_pvc(pvc("dev", "data", size="1Gi", phase="Pending"))
    assert len(pvc_charge(pending, owner=OWNER, price=1.0)) == 2
    lost = decode_pvc(pvc("dev", "data", size="1Gi", phase="Lost"))
    assert pvc_charge(lost, owner=OWNER, price=1.0) == ()


def test_node_capacity_is_charged_to_the_capacity_owner() -> None:
    assert node_charge(decode_node(node("n", cpu="4", memory="16Gi")), prices=PRICES) == (
        Entry(CAPACITY_OWNER, "cpu", 0.03, 4 * 10**9),
        Entry(CAPACITY_OWNER, "memory", 0.004, 16 * GI),
    )
    gpus = node_charge(decode_node(gpu_node("g", gpus="4")), prices=PRICES)
    assert Entry(CAPACITY_OWNER, "gpu", 2.0, 4 * 10**9) in gpus
