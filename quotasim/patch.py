"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch for the
lists kubectl edits (merged by their merge key), and JSON patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
SUPPORTED = (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH)

# Lists of the built-in types that strategic merge patch merges by a key, not replaces.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "tolerations": None,
    "conditions": "type",
    "ownerReferences": "uid",
    "finalizers": None,
}


class PatchError(ValueError):
    """A patch that cannot be applied (the server answers 422 or 400)."""


def apply_patch(content_type: str, target: dict, patch: Any) -> dict:
    """Apply a patch body of the given media type to a copy of target."""
    if content_type == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise PatchError("a merge patch must be a JSON object")
    if content_type == STRATEGIC_PATCH:
        return strategic_merge(target, patch)
    return merge_patch(target, patch)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any, key: str = "") -> Any:
    """Strategic merge: like a merge patch, but keyed lists merge element by element."""
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: v for k, v in patch.items() if k != "$patch"}
        result = dict(target) if isinstance(target, dict) else {}
        for k, v in patch.items():
            if k.startswith("$"):
                continue  # $setElementOrder and $retainKeys only order or prune; skip them
            if v is None:
                result.pop(k, None)
            else:
                result[k] = strategic_merge(result.get(k), v, k)
        return result
    merge_key = MERGE_KEYS.get(key)
    if isinstance(patch, list) and merge_key and isinstance(target, list):
        return _merge_keyed_list(target, patch, merge_key)
    return copy.deepcopy(patch)


def _merge_keyed_list(target: list, patch: list, merge_key: str) -> list:
    result: list[dict | None] = [dict(item) for item in target]
    index = {item.get(merge_key): i for i, item in enumerate(target)}
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"list items merged by {merge_key!r} must be objects")
        at = index.get(item.get(merge_key))
        if item.get("$patch") == "delete":
            if at is not None:
                result[at] = None
        elif at is None:
            index[item.get(merge_key)] = len(result)
            result.append(strategic_merge({}, item))
        else:
            result[at] = strategic_merge(result[at], item)
    return [item for item in result if item is not None]


def json_patch(target: dict, operations: Any) -> dict:
    """RFC 6902 operations applied in order to a copy of target."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        doc = _json_patch_op(doc, op)
    return doc


def _json_patch_op(doc: Any, op: dict) -> Any:
    kind, path = op.get("op"), op.get("path")
    if not isinstance(path, str):
        raise PatchError("missing path in JSON patch operation")
    if kind in ("move", "copy"):
        value = _resolve(doc, _pointer(op.get("from", "")))
        if kind == "move":
            doc = _json_patch_op(doc, {"op": "remove", "path": op["from"]})
        return _json_patch_op(doc, {"op": "add", "path": path, "value": copy.deepcopy(value)})
    parts = _pointer(path)
    if kind == "test":
        if _resolve(doc, parts) != op.get("value"):
            raise PatchError(f"testing value {path} failed")
        return doc
    if not parts:
        return copy.deepcopy(op.get("value"))
    parent, last = _resolve(doc, parts[:-1]), parts[-1]
    if kind == "remove":
        _remove(parent, last, path)
    elif kind in ("add", "replace"):
        _set(parent, last, op.get("value"), insert=kind == "add")
    else:
        raise PatchError(f"unknown JSON patch operation {kind!r}")
    return doc


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def _resolve(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        try:
            doc = doc[int(part)] if isinstance(doc, list) else doc[part]
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise PatchError(f"path /{'/'.join(parts)} does not exist") from e
    return doc


def _remove(parent: Any, last: str, path: str) -> None:
    try:
        del parent[int(last) if isinstance(parent, list) else last]
    except (KeyError, IndexError, ValueError) as e:
        raise PatchError(f"unable to remove nonexistent key: {path}") from e


def _set(parent: Any, last: str, value: Any, *, insert: bool) -> None:
    if isinstance(parent, list):
        at = len(parent) if last == "-" else int(last)
        if insert:
            parent.insert(at, value)
        else:
            parent[at] = value
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise PatchError(f"cannot set {last!r} inside a {type(parent).__name__}")
