"""Discovery handlers: /version, /api, /apis and one API group, OpenAPI v3, health checks."""

from __future__ import annotations

from aiohttp import web

from quotasim import openapi, resources
from quotasim.apierrors import resource_not_found
from quotasim.responses import error_response, json_response


async def ok(request: web.Request) -> web.Response:
    """/healthz, /readyz and /livez."""
    return web.Response(text="ok")


async def version(request: web.Request) -> web.Response:
    """/version: the server's build information."""
    return json_response(resources.SERVER_VERSION)


async def api_versions(request: web.Request) -> web.Response:
    """/api: the core group's versions."""
    return json_response(resources.core_versions(request.host))


async def api_groups(request: web.Request) -> web.Response:
    """/apis: every named group."""
    return json_response(resources.group_list())


async def openapi_root(request: web.Request) -> web.Response:
    """/openapi/v3: one entry per group-version."""
    return json_response(openapi.root_document())


async def openapi_group_version(request: web.Request) -> web.Response:
    """/openapi/v3/<gv path>: that group-version's document, or 404."""
    doc = openapi.group_version_document(request.match_info["path"])
    if doc is None:
        return error_response(resource_not_found())
    return json_response(doc)


def api_group(name: str) -> web.Response:
    """/apis/<group>: the APIGroup with its one served version."""
    version = resources.GROUPS[name]
    gv = {"groupVersion": f"{name}/{version}", "version": version}
    return json_response(
        {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": name,
            "versions": [gv],
            "preferredVersion": gv,
        }
    )
