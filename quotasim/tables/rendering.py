"""Rendering a LIST, a GET or a watch event's object as the apiserver's Table body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quotasim.tables.durations import aware
from quotasim.tables.negotiation import TABLE_GROUP
from quotasim.tables.printers import FALLBACK, KINDS, PRINTERS, Printer, printer_key

_INCLUDE_OBJECT = ("Metadata", "Object", "None", "")  # "" means Metadata


class TableOptionsError(ValueError):
    """An includeObject value the API server refuses; the caller answers 400 BadRequest."""


def render_table(
    resource: str,
    items: list[dict],
    *,
    list_meta: dict,
    include_object: str = "Metadata",
    now: datetime,
    wide: bool = True,
    api_version: str = "meta.k8s.io/v1",
    with_columns: bool = True,
) -> dict:
    """Render a LIST (or a single GET, as one item) as the apiserver's Table body.

    The apiserver always renders wide (all priority-1 columns and cells; kubectl hides
    them unless -o wide), hence ``wide=True``. ``resource`` is the plural, optionally
    qualified ("pods.metrics.k8s.io"); ``api_version`` is "v1", "v1beta1" or "meta.k8s.io/v1".
    """
    check_include_object(include_object)
    api_version = api_version if "/" in api_version else f"{TABLE_GROUP}/{api_version}"
    key = printer_key(resource, items)
    printer = PRINTERS.get(key, FALLBACK)
    columns = printer.columns(items)
    keep = [i for i, col in enumerate(columns) if wide or col["priority"] == 0]
    embed = _Embedder(include_object, api_version, KINDS.get(key))
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": _table_meta(list_meta),
        # After a watch's first event the apiserver sets NoHeaders: Go encodes the nil slice
        # as null, and kubectl keeps the columns it already has.
        "columnDefinitions": [dict(columns[i]) for i in keep] if with_columns else None,
        "rows": [_row(printer, obj, now, columns, keep, embed) for obj in items],
    }


def render_watch_table(
    resource: str,
    obj: dict,
    *,
    include_object: str = "Metadata",
    now: datetime,
    wide: bool = True,
    api_version: str = "meta.k8s.io/v1",
    with_columns: bool = True,
) -> dict:
    """Render one watch event's object as a one-row Table.

    Pass ``with_columns=True`` for the first event of a stream only: the apiserver sends
    column definitions once per watch and ``"columnDefinitions": null`` afterwards.
    """
    meta = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
    return render_table(
        resource,
        [obj],
        list_meta=meta,
        include_object=include_object,
        now=now,
        wide=wide,
        api_version=api_version,
        with_columns=with_columns,
    )


def check_include_object(include_object: str) -> None:
    """Refuse an includeObject value the API server would refuse (TableOptionsError)."""
    if include_object not in _INCLUDE_OBJECT:
        raise TableOptionsError(
            "Unable to convert to Table as requested: includeObject: Invalid value: "
            f"\"{include_object}\": must be 'Metadata', 'Object', 'None', or empty"
        )


def _table_meta(list_meta: dict) -> dict:
    # ListMeta fields are omitempty, except remainingItemCount, which is a pointer.
    meta = {k: list_meta[k] for k in ("resourceVersion", "continue") if list_meta.get(k)}
    if list_meta.get("remainingItemCount") is not None:
        meta["remainingItemCount"] = list_meta["remainingItemCount"]
    return meta


def _row(
    printer: Printer,
    obj: dict,
    now: datetime,
    columns: list[dict],
    keep: list[int],
    embed: _Embedder,
) -> dict:
    cells = printer.cells(obj, aware(now), columns)
    row: dict[str, Any] = {"cells": [cells[i] for i in keep]}
    if conditions := printer.conditions(obj):
        row["conditions"] = conditions
    row["object"] = embed(obj)
    return row


@dataclass(frozen=True, slots=True)
class _Embedder:
    """What a row carries in ``object``, per the request's includeObject."""

    include_object: str
    api_version: str
    kind: tuple[str, str] | None

    def __call__(self, obj: dict) -> dict | None:
        if self.include_object == "None":
            return None  # RawExtension without an object marshals as null, not omitted
        if self.include_object == "Object":
            if self.kind is None:
                return obj
            # kubectl decodes each row object and fails on one without kind/apiVersion.
            api_version, kind = self.kind
            return {"kind": kind, "apiVersion": api_version, **obj}
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": self.api_version,
            "metadata": obj.get("metadata") or {},
        }
