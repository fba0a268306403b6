"""Quota rejection totals regrouped per namespace, for the per-namespace snapshot views.

RejectionCounter keeps one flat map of totals. Regrouping it on every snapshot would
cost O(all totals) each time; instead the namespaces named by FailedCreate Events since
the last regrouping are marked, and only theirs are regrouped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from exporter.model.bodies import Event
from exporter.model.rejections import FAILED_CREATE, Problem, RejectionCounter, event_namespace

Totals = tuple[tuple[str, str, int], ...]  # (quota, resource, rejections), sorted


class RejectionTotals:
    """Per-namespace totals of one RejectionCounter, fed only through ``count``."""

    def __init__(self, counter: RejectionCounter) -> None:
        self._counter = counter
        self._totals: dict[str, Totals] = {}
        self._stale: set[str] = set()  # namespaces whose Events arrived since by_namespace

    def count(
        self, events: Iterable[Event], feed: Callable[[], None]
    ) -> tuple[set[str], list[Problem]]:
        """Run ``feed`` (which hands ``events`` to the counter); returns the namespaces
        whose totals may have moved and the Events it refused (namespace, name, why)."""
        feed()
        touched = {
            event_namespace(event)
            for event in events
            if isinstance(event, Mapping) and event.get("reason") == FAILED_CREATE
        }
        self._stale |= touched
        return touched, self._counter.take_problems()

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
