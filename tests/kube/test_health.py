"""InformerHealth: the plain data behind /readyz and the exporter-health metrics."""

from __future__ import annotations

import pytest

from exporter.model.health import InformerHealth


def test_counters_and_snapshot() -> None:
    health = InformerHealth()
    health.register(["pods", "nodes"])
    assert health.unsynced_kinds() == ["nodes", "pods"]
    health.record_relist("pods", "initial")
    health.mark_synced("pods")
    health.record_event("pods", "ADDED", timestamp=10.0)
    health.record_event("pods", "ADDED", timestamp=11.0)
    health.record_event("pods", "BOOKMARK", timestamp=12.5)
    health.record_api_error("pods", "410")
    health.record_parse_error("pods")
    health.record_restart("informer.pods")
    assert health.unsynced_kinds() == ["nodes"]
    snap = health.snapshot()
    assert snap.synced == {"pods": True, "nodes": False}
    assert snap.events_total == {("pods", "ADDED"): 2, ("pods", "BOOKMARK"): 1}
    assert snap.relists_total == {("pods", "initial"): 1}
    assert snap.last_event_timestamp == {"pods": 12.5}
    assert snap.api_errors_total == {("pods", "410"): 1}
    assert snap.parse_errors_total == {"pods": 1, "nodes": 0}
    assert snap.restarts_total == {"informer.pods": 1}
    health.record_event("pods", "DELETED", timestamp=13.0)
    assert snap.events_total == {("pods", "ADDED"): 2, ("pods", "BOOKMARK"): 1}  # a copy


def test_unknown_relist_reason_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown relist reason"):
        InformerHealth().record_relist("pods", "whim")
