"""The /api/v1/summary body on the reference and demo scenarios: exact values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.model.bodies import PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.summary import efficiency, summary
from exporter.model.usage import UsageTable
from quotasim.cluster import EVENT, LIMITRANGE, NAMESPACE, NODE, POD, PVC, QUOTA, Cluster
from quotasim.scenario import load_scenario

MI, GI = 2**20, 2**30
KINDS = (NAMESPACE, POD, QUOTA, LIMITRANGE, NODE, PVC, EVENT)


def load(cluster: Cluster) -> tuple[ClusterState, UsageTable]:
    health = InformerHealth()
    state = ClusterState(health=health)
    for rtype in KINDS:
        state.begin_relist(rtype.plural)
        served: list[Any] = list(cluster.store.iter(rtype))  # JSON, as the API sends it
        state.add_listed(rtype.plural, served)
        state.end_relist(rtype.plural)
    return state, UsageTable(health=health)


def usage_of(ns: str, name: str, cpu: str, memory: str) -> PodMetrics:
    return {
        "metadata": {"name": name, "namespace": ns},
        "containers": [{"name": "c", "usage": {"cpu": cpu, "memory": memory}}],
    }


REFUSAL = (
    'Error creating: pods "agent-api-x" is forbidden: exceeded quota: dev-quota, '
    "requested: requests.cpu=100m,pods=1, used: requests.cpu=2,pods=20, "
    "limited: requests.cpu=2,pods=20"
)


def test_reference_summary(reference_cluster: Cluster) -> None:
    state, usage = load(reference_cluster)
    dev_pods = [p["metadata"]["name"] for p in reference_cluster.pods("dev")]
    usage.replace(
        [usage_of("dev", dev_pods[0], "100m", "64Mi"), usage_of("dev", dev_pods[1], "20m", "64Mi")],
        timestamp=1.0,
    )
    state.apply("events", "ADDED", {
        "metadata": {"name": "agent-api.1", "namespace": "dev", "uid": "u1"},
        "reason": "FailedCreate", "message": REFUSAL, "count": 2,
        "lastTimestamp": "2024-05-01T10:00:00Z",
    })  # fmt: skip
    body = summary(state.snapshot(), usage=usage, rejections=state.rejections)
    assert body["metrics_api_up"] is True
    assert [ns["namespace"] for ns in body["namespaces"]] == ["dev", "prod", "staging"]
    dev = body["namespaces"][0]
    (quota,) = dev.pop("quotas")
    efficiency_ = dev.pop("efficiency")
    assert dev == {
        "namespace": "dev",
        "team": "agents",
        "requests": {"cpu": 0.2, "memory": 256.0 * MI},
        "limits": {"cpu": 1.0, "memory": 1.0 * GI},
        "usage": {"cpu": 0.12, "memory": 128.0 * MI},
        "pods": {"Running": 2},
        "storage": {},
        "limitrange_violations": [
            {"limitrange": "dev-limits", "resource": r, "constraint": c, "count": 0}
            for r, c in (("cpu", "max"), ("cpu", "min"), ("memory", "max"), ("memory", "min"))
        ],
    }
    assert efficiency_["cpu"] == 0.6
    assert efficiency_["memory"] == 0.5
    # Weighted by request as a share of the cluster (2 nodes: 7840m, 30Gi allocatable):
    # (0.12/7.84 + 128Mi/30Gi) / (0.2/7.84 + 256Mi/30Gi) = 229/398.
    assert efficiency_["overall"] == pytest.approx(229 / 398, rel=1e-15)
    assert quota["name"] == "dev-quota"
    assert quota["scopes"] == ""
    assert quota["resources"]["requests.cpu"] == {
        "hard": 2.0, "used": 0.2, "saturation": 0.1, "observed_used": 0.2,
    }  # fmt: skip
    assert quota["resources"]["requests.storage"] == {
        "hard": 10.0 * GI, "used": 0.0, "saturation": 0.0, "observed_used": None,
    }  # fmt: skip
    assert quota["resources"]["pods"] == {
        "hard": 20.0, "used": 2.0, "saturation": 0.1, "observed_used": 2.0,
    }  # fmt: skip
    assert quota["rejections"] == {
        "total": {"pods": 2, "requests.cpu": 2},
        "last": {
            "time": "2024-05-01T10:00:00Z",
            "pod": "agent-api-x",
            "kind": "exceeded",
            "resources": ["requests.cpu", "pods"],
            "requested": {"requests.cpu": "100m", "pods": "1"},
            "used": {"requests.cpu": "2", "pods": "20"},
            "limited": {"requests.cpu": "2", "pods": "20"},
        },
    }
    prod = body["namespaces"][1]
    assert prod["usage"] is None  # not in the sample: unknown, not 0
    assert prod["efficiency"] == {"cpu": None, "memory": None, "overall": None}
    assert prod["quotas"][0]["rejections"] == {"total": {}, "last": None}
    json.dumps(body, allow_nan=False)  # plain JSON all the way down


def test_demo_summary_storage_gpus_and_unknown_usage() -> None:
    cluster = Cluster(seed=1)
    load_scenario(cluster, "demo")
    state, _ = load(cluster)
    body = summary(state.snapshot(), usage=None, rejections=state.rejections)
    assert body["metrics_api_up"] is False
    spaces = {ns["namespace"]: ns for ns in body["namespaces"]}
    ml = spaces["ml-training"]
    assert ml["team"] == "ml"
    assert ml["storage"] == {"fast-ssd": 200.0 * GI}
    assert ml["requests"]["storage"] == 200.0 * GI
    assert ml["requests"]["nvidia.com/gpu"] == 2.0
    gpu = ml["quotas"][0]["resources"]["requests.nvidia.com/gpu"]
    assert gpu == {"hard": 4.0, "used": 2.0, "saturation": 0.5, "observed_used": 2.0}
    assert ml["usage"] is None
    assert spaces["observability"]["storage"] == {"standard": 50.0 * GI}
    assert spaces["vc-sandbox"]["limitrange_violations"] == []  # defaults only
    # The staging refusal was in the first LIST: a baseline, so 0, but its details show.
    staging = spaces["staging"]["quotas"][0]["rejections"]
    assert staging["total"] == {"requests.cpu": 0, "requests.memory": 0}
    assert staging["last"]["limited"] == {"requests.cpu": "4", "requests.memory": "4Gi"}


def test_efficiency_edges() -> None:
    alloc = {"cpu": 4 * 10**9, "memory": 8 * GI * 10**9}
    assert efficiency({"cpu": 10**9}, None, allocatable=alloc) == dict.fromkeys(
        ("cpu", "memory", "overall")
    )
    # No memory request: memory has no efficiency and does not weigh on the overall.
    got = efficiency({"cpu": 10**9}, {"cpu": 2 * 10**9, "memory": GI * 10**9}, allocatable=alloc)
    assert got == {"cpu": 2.0, "memory": None, "overall": 2.0}
    # Without nodes there is no common unit for the overall figure.
    got = efficiency({"cpu": 10**9}, {"cpu": 5 * 10**8, "memory": 0}, allocatable={})
    assert got == {"cpu": 0.5, "memory": None, "overall": None}
