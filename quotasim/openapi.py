"""Just enough OpenAPI v3 for kubectl: it reads /openapi/v3 to learn that the
server validates fields itself (the `fieldValidation` parameter on PATCH), and
then skips downloading schemas to validate on the client."""

from __future__ import annotations

from quotasim.resources import RESOURCES, ResourceType


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def root_document() -> dict:
    """The /openapi/v3 discovery document: one entry per group-version."""
    gvs = sorted({(r.group, r.version) for r in RESOURCES})
    return {
        "paths": {
            _gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash=sim"}
            for g, v in gvs
        }
    }


def group_version_document(gv_path: str) -> dict | None:
    """The OpenAPI v3 document of one group-version (paths and operations only)."""
    served = [r for r in RESOURCES if _gv_path(r.group, r.version) == gv_path]
    if not served:
        return None
    paths: dict = {}
    for r in served:
        paths[_item_path(r)] = {"patch": _operation(r, "patch"), "put": _operation(r, "replace")}
        paths[_item_path(r).rsplit("/", 1)[0]] = {"post": _operation(r, "create")}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.4"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _item_path(r: ResourceType) -> str:
    ns = "namespaces/{namespace}/" if r.namespaced else ""
    return f"/{_gv_path(r.group, r.version)}/{ns}{r.plural}/{{name}}"


def _operation(r: ResourceType, verb: str) -> dict:
    return {
        "operationId": f"{verb}{r.kind}",
        "x-kubernetes-action": verb if verb != "replace" else "put",
        "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
            for name in ("dryRun", "fieldManager", "fieldValidation")
        ],
    }
