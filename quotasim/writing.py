"""Writes: create, replace, patch and delete, with request bodies decoded as the server does."""

from __future__ import annotations

from aiohttp import web

from quotasim.apierrors import SimError
from quotasim.bodies import patch_type, read_body, read_json
from quotasim.cluster import Cluster
from quotasim.patch import apply_patch
from quotasim.responses import json_response, with_kind
from quotasim.routing import Target
from quotasim.selectors import list_matcher


async def create(cluster: Cluster, request: web.Request, target: Target) -> web.Response:
    """POST to a collection: 201 with the object as stored."""
    obj = cluster.create(target.rtype, await read_body(request), namespace=target.namespace or "")
    return json_response(with_kind(target.rtype, obj), 201)


async def replace(cluster: Cluster, request: web.Request, target: Target) -> web.Response:
    """PUT of an object or its status."""
    body = await read_body(request)
    obj = cluster.update(
        target.rtype,
        body,
        namespace=target.namespace or "",
        subresource=target.subresource or "",
    )
    return json_response(with_kind(target.rtype, obj))


async def patch(cluster: Cluster, request: web.Request, target: Target) -> web.Response:
    """PATCH of an object or its status, in any of the media types kubectl sends."""
    content_type = patch_type(request)
    body = await read_json(request)
    current = cluster.get(target.rtype, target.namespace or "", target.name or "")
    merged = apply_patch(content_type, with_kind(target.rtype, current), body)
    merged.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
    obj = cluster.update(
        target.rtype,
        merged,
        namespace=target.namespace or "",
        subresource=target.subresource or "",
    )
    return json_response(with_kind(target.rtype, obj))


def delete(cluster: Cluster, request: web.Request, target: Target) -> web.Response:
    """DELETE of one object, or of the collection's objects the selectors match."""
    if target.name is not None:
        gone = cluster.delete(target.rtype, target.namespace or "", target.name)
        return json_response(with_kind(target.rtype, gone))
    return json_response(_delete_collection(cluster, request, target))


def _delete_collection(cluster: Cluster, request: web.Request, target: Target) -> dict:
    match = list_matcher(target.rtype, request.query)
    doomed = [
        o for o in cluster.store.iter(target.rtype, target.namespace) if match is None or match(o)
    ]
    gone = [
        cluster.delete(target.rtype, o["metadata"].get("namespace", ""), o["metadata"]["name"])
        for o in doomed
    ]
    return {
        "kind": target.rtype.list_kind,
        "apiVersion": target.rtype.api_version,
        "metadata": {},
        "items": gone,
    }


def refuse_dry_run(request: web.Request) -> None:
    """Refuse ?dryRun with 400: better a clear refusal than a dry run that quietly writes."""
    if request.query.get("dryRun"):
        raise SimError(400, "BadRequest", "dryRun is not supported by the simulated API server")
