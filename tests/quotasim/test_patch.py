"""PATCH media types: merge patch, strategic merge patch, JSON patch."""

from __future__ import annotations

from typing import Any

import pytest

from quotasim.patch import PatchError, json_patch, merge_patch, strategic_merge

POD: dict[str, Any] = {
    "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}},
    "spec": {"containers": [{"name": "app", "image": "v1"}, {"name": "side", "image": "s1"}]},
}


def test_merge_patch_replaces_lists_and_deletes_nulls() -> None:
    out = merge_patch(
        POD,
        {
            "metadata": {"labels": {"a": None, "c": "3"}},
            "spec": {"containers": [{"name": "app", "image": "v2"}]},
        },
    )
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}
    assert out["spec"]["containers"] == [{"name": "app", "image": "v2"}]
    assert POD["metadata"]["labels"] == {"a": "1", "b": "2"}  # the target is untouched


def test_strategic_merge_merges_containers_by_name() -> None:
    out = strategic_merge(
        POD,
        {"spec": {"containers": [{"name": "app", "image": "v2"}, {"name": "new", "image": "n1"}]}},
    )
    assert [(c["name"], c["image"]) for c in out["spec"]["containers"]] == [
        ("app", "v2"),
        ("side", "s1"),
        ("new", "n1"),
    ]


def test_strategic_merge_delete_directive() -> None:
    out = strategic_merge(POD, {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}})
    assert [c["name"] for c in out["spec"]["containers"]] == ["app"]


def test_json_patch_operations() -> None:
    out = json_patch(
        POD,
        [
            {"op": "replace", "path": "/spec/containers/0/image", "value": "v3"},
            {"op": "add", "path": "/metadata/labels/x~1y", "value": "z"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "test", "path": "/metadata/name", "value": "p"},
        ],
    )
    assert out["spec"]["containers"][0]["image"] == "v3"
    assert out["metadata"]["labels"] == {"b": "2", "x/y": "z"}


def test_json_patch_test_failure() -> None:
    with pytest.raises(PatchError, match="testing value /metadata/name failed"):
        json_patch(POD, [{"op": "test", "path": "/metadata/name", "value": "q"}])
