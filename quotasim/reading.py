"""GET requests: one object, its Scale, a LIST or a WATCH, as JSON or as a server-side Table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from quotasim.apierrors import method_not_allowed, not_found
from quotasim.cluster import Cluster
from quotasim.context import ApiContext
from quotasim.listing import list_body, metrics_items
from quotasim.responses import json_response, with_kind
from quotasim.routing import Target
from quotasim.scaling import scale_of
from quotasim.tables.negotiation import accepts_table
from quotasim.tables.rendering import check_include_object, render_table
from quotasim.watching import WatchStream


async def get(context: ApiContext, request: web.Request, target: Target) -> web.StreamResponse:
    """Answer a GET: a watch stream, a Scale, one object or a list."""
    query = request.query
    table = accepts_table(request.headers.get("Accept", ""))
    if table:
        check_include_object(query.get("includeObject", "Metadata"))
    if query.get("watch") in ("1", "true"):
        if not target.rtype.watchable or target.name is not None:
            raise method_not_allowed()
        stream = WatchStream(context, target.rtype, target.namespace, query, table=table)
        return await stream.run(request)
    if target.subresource == "scale":
        return json_response(scale_of(get_one(context.cluster, target)))
    if target.name is not None:
        return _one(context.cluster, target, query, table)
    return _list(context.cluster, target, query, table)


def get_one(cluster: Cluster, target: Target) -> dict:
    """The named object as stored, or as metrics-server would compute it now; 404 if absent."""
    if target.rtype.group == "metrics.k8s.io":
        items = metrics_items(cluster, target.rtype, target.namespace)
        for item in items:
            if item["metadata"]["name"] == target.name:
                return item
        raise not_found(target.rtype, target.name or "")
    return cluster.get(target.rtype, target.namespace or "", target.name or "")


def _one(
    cluster: Cluster, target: Target, query: Mapping[str, str], table: str | None
) -> web.Response:
    obj = get_one(cluster, target)
    if table:
        meta = {"resourceVersion": ""}
        return json_response(
            _table(cluster, target, [obj], list_meta=meta, query=query, table=table)
        )
    return json_response(with_kind(target.rtype, obj))


def _list(
    cluster: Cluster, target: Target, query: Mapping[str, str], table: str | None
) -> web.Response:
    body = list_body(cluster, target.rtype, target.namespace, query)
    if table:
        meta = body["metadata"]
        body = _table(cluster, target, body["items"], list_meta=meta, query=query, table=table)
    return json_response(body)


def _table(
    cluster: Cluster,
    target: Target,
    items: list[dict],
    *,
    list_meta: dict,
    query: Mapping[str, str],
    table: str,
) -> dict:
    return render_table(
        target.rtype.plural,
        items,
        list_meta=list_meta,
        include_object=query.get("includeObject", "Metadata"),
        now=datetime.fromtimestamp(cluster.clock(), UTC),
        api_version=table,
    )
