"""Reading the real cluster the way a user would: kubectl, and quantities parsed by
the official `kubernetes` client (not by quotameter's own parser)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from kubernetes.utils.quantity import parse_quantity

from cluster.launcher import ControlPlane
from tests.cluster.processes import Samples, wait_for

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "quotasim" / "scenarios"
REFERENCE = [
    SCENARIOS / "reference" / f for f in ("10-dev.yaml", "20-staging.yaml", "30-prod.yaml")
]
AGENT_WORKER = SCENARIOS / "reference" / "later" / "agent-worker.yaml"


def quantity(text: str) -> float:
    """A Kubernetes quantity string as a float, by the official client's parser."""
    return float(Decimal(parse_quantity(text)))


def get_json(cp: ControlPlane, *args: str) -> dict:
    """`kubectl get ... -o json`, decoded."""
    return json.loads(cp.kubectl("get", *args, "-o", "json").stdout)


def labels(**kv: str) -> frozenset[tuple[str, str]]:
    """A sample key's label set."""
    return frozenset(kv.items())


def quota_samples(quotas: list[dict], team_of: dict[str, str]) -> Samples:
    """The quota_hard/used/saturation samples that `kubectl get resourcequota -o json` implies."""
    expected: Samples = {}
    for q in quotas:
        ns, name = q["metadata"]["namespace"], q["metadata"]["name"]
        for key, hard_text in q["status"]["hard"].items():
            key_labels = labels(namespace=ns, team=team_of[ns], quota=name, resource=key)
            hard, used = quantity(hard_text), quantity(q["status"]["used"][key])
            expected[("quotameter_quota_hard", key_labels)] = hard
            expected[("quotameter_quota_used", key_labels)] = used
            if hard:
                expected[("quotameter_quota_saturation_ratio", key_labels)] = used / hard
    return expected


def limitrange_samples(ranges: list[dict], team_of: dict[str, str]) -> Samples:
    """The quotameter_limitrange samples that `kubectl get limitrange -o json` implies."""
    expected: Samples = {}
    for lr in ranges:
        ns = lr["metadata"]["namespace"]
        for item in lr["spec"]["limits"]:
            for constraint in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio"):
                for resource, text in item.get(constraint, {}).items():
                    key = labels(
                        namespace=ns,
                        team=team_of[ns],
                        limitrange=lr["metadata"]["name"],
                        type=item["type"],
                        resource=resource,
                        constraint=constraint,
                    )
                    expected[("quotameter_limitrange", key)] = quantity(text)
    return expected


def only(samples: Samples, names: set[str], namespaces: set[str]) -> Samples:
    """The samples of these metric names in these namespaces."""
    return {
        k: v
        for k, v in samples.items()
        if k[0] in names and dict(k[1]).get("namespace") in namespaces
    }


def wait_quota_used(cp: ControlPlane, ns: str, name: str, key: str, want: str) -> None:
    """Until the real quota controller reports `used[key] == want` for that quota."""

    def settled() -> bool:
        used = get_json(cp, "resourcequota", name, "-n", ns)["status"].get("used", {})
        return key in used and quantity(used[key]) == quantity(want)

    wait_for(settled, within=60, what=f"{ns}/{name} used {key}={want}")


def wait_pods_running(cp: ControlPlane, ns: str, count: int) -> None:
    """Until `count` pods of the namespace are Running (on KWOK nodes)."""

    def running() -> bool:
        pods = get_json(cp, "pods", "-n", ns)["items"]
        return sum(p.get("status", {}).get("phase") == "Running" for p in pods) == count

    wait_for(running, within=90, what=f"{count} running pods in {ns}")
