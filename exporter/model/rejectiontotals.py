"""Quota rejection totals regrouped per namespace, for the per-namespace snapshot views.

RejectionCounter keeps one flat map of totals. Regrouping it on every snapshot would
cost O(all totals) each time; instead the namespaces named by FailedCreate Events since
the last regrouping are marked, and only theirs are regrouped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from exporter.model.rejections import FAILED_CREATE, RejectionCounter

Totals = tuple[tuple[str, str, int], ...]  # (quota, resource, rejections), sorted


class RejectionTotals:
    """Per-namespace totals of one RejectionCounter, fed only through ``count``."""

    def __init__(self, counter: RejectionCounter) -> None:
        self._counter = counter
        self._totals: dict[str, Totals] = {}
        self._stale: set[str] = set()  # namespaces whose Events arrived since by_namespace

    def count(self, events: Iterable[Any], feed: Callable[[], None]) -> tuple[set[str], int]:
        """Run ``feed`` (which hands ``events`` to the counter); returns the namespaces
        whose totals may have moved and how many messages could not be read."""
        errors = self._counter.parse_errors
        feed()
        touched = {
            event_namespace(event)
            for event in events
            if isinstance(event, Mapping) and event.get("reason") == FAILED_CREATE
        }
        self._stale |= touched
        return touched, self._counter.parse_errors - errors

    def by_namespace(self) -> Mapping[str, Totals]:
        """namespace -> sorted (quota, resource, total); regroups the stale ones first."""
        if self._stale:
            grouped: dict[str, list[tuple[str, str, int]]] = {}
            for (namespace, quota, resource), total in self._counter.totals().items():
                if namespace in self._stale:
                    grouped.setdefault(namespace, []).append((quota, resource, total))
            for namespace in self._stale:
                self._totals[namespace] = tuple(sorted(grouped.get(namespace, ())))
            self._stale.clear()
        return self._totals


def event_namespace(event: Mapping[str, Any]) -> str:
    """The namespace an Event's totals are kept under (as RejectionCounter keys them)."""
    meta, involved = event.get("metadata"), event.get("involvedObject")
    namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
    if not namespace and isinstance(involved, Mapping):
        namespace = involved.get("namespace")
    return str(namespace or "")
