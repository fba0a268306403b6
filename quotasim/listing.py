"""LIST bodies: selectors, pagination, and the metrics.k8s.io lists computed on the fly."""

from __future__ import annotations

from collections.abc import Mapping

from quotasim import usage
from quotasim.apierrors import SimError
from quotasim.cluster import Cluster
from quotasim.kinds import NODE, POD
from quotasim.resources import ResourceType
from quotasim.selectors import list_matcher
from quotasim.store import Expired


def list_body(
    cluster: Cluster, rtype: ResourceType, namespace: str | None, query: Mapping[str, str]
) -> dict:
    """The body of a LIST request, one page of it when `limit` is given."""
    match = list_matcher(rtype, query)
    if rtype.group == "metrics.k8s.io":
        items = [i for i in metrics_items(cluster, rtype, namespace) if match is None or match(i)]
        return _list(rtype, {"resourceVersion": ""}, items)
    limit = _int_param(query, "limit")
    selector_key = f"{query.get('labelSelector', '')}|{query.get('fieldSelector', '')}"
    try:
        page = cluster.store.list_page(
            rtype,
            namespace=namespace,
            match=match,
            limit=limit,
            continue_token=query.get("continue") or None,
            selector_key="" if selector_key == "|" else selector_key,
        )
    except Expired as e:
        raise SimError(410, "Expired", str(e)) from e
    except ValueError as e:
        raise SimError(400, "BadRequest", str(e)) from e
    meta: dict = {"resourceVersion": str(page.resource_version)}
    if page.continue_token:
        meta["continue"] = page.continue_token
    if page.remaining is not None:
        meta["remainingItemCount"] = page.remaining
    return _list(rtype, meta, page.items)


def _list(rtype: ResourceType, meta: dict, items: list[dict]) -> dict:
    return {
        "kind": rtype.list_kind,
        "apiVersion": rtype.api_version,
        "metadata": meta,
        "items": items,
    }


def metrics_items(cluster: Cluster, rtype: ResourceType, namespace: str | None) -> list[dict]:
    """PodMetrics or NodeMetrics objects, as metrics-server lists them now."""
    if rtype.kind == "NodeMetrics":
        by_node: dict[str, list[dict]] = {}
        for pod in cluster.store.iter(POD):
            by_node.setdefault(pod["spec"].get("nodeName", ""), []).append(pod)
        return [
            usage.node_metrics(cluster, n, by_node.get(n["metadata"]["name"], []))
            for n in cluster.store.iter(NODE)
        ]
    metrics = (usage.pod_metrics(cluster, p) for p in cluster.store.iter(POD, namespace))
    return [m for m in metrics if m is not None]


def _int_param(query: Mapping[str, str], name: str) -> int:
    raw = query.get(name) or "0"
    try:
        value = int(raw)
    except ValueError as e:
        raise SimError(400, "BadRequest", f"invalid {name}: {raw!r}") from e
    if value < 0:
        raise SimError(400, "BadRequest", f"invalid {name}: {raw!r}")
    return value
