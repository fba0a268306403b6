"""The daily history for quota right-sizing: gathered on the tick, stored with each
flush, kept across restarts and schema upgrades, pruned past 100 days."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from exporter.cost.days import SECONDS_PER_DAY, day_index, day_key
from exporter.ledger.advice import ledger_recommendations
from exporter.ledger.store import Ledger
from exporter.model.bodies import Event, ResourceQuota
from exporter.model.peaks import DailyPeaks, DemandDay, HistoryBatch, QuotaDay
from tests.cost.costhelpers import HOUR, T0, Clock, Rig, namespace, node, pod, pod_metrics

DAY = float(SECONDS_PER_DAY)
TODAY = day_key(day_index(T0))  # 2026-03-31


def quota(used: dict[str, str], *, hard: dict[str, str] | None = None) -> ResourceQuota:
    hard = hard or {"requests.cpu": "4", "pods": "10"}
    return {
        "metadata": {"name": "compute", "namespace": "dev"},
        "spec": {"hard": hard},
        "status": {"hard": hard, "used": used},
    }


def refused(uid: str, count: int) -> Event:
    return {
        "metadata": {"name": f"web.{uid}", "namespace": "dev", "uid": uid},
        "involvedObject": {"kind": "ReplicaSet", "namespace": "dev", "name": "web"},
        "reason": "FailedCreate",
        "message": 'Error creating: pods "web-x" is forbidden: exceeded quota: compute, '
        "requested: requests.cpu=1, used: requests.cpu=4, limited: requests.cpu=4",
        "count": count,
        "lastTimestamp": "2026-03-31T20:00:00Z",
    }


def rig(tmp_path: Path, clock: Clock | None = None) -> Rig:
    r = Rig(tmp_path, clock=clock)
    r.sync(namespaces=[namespace("dev", team="web")], nodes=[node("node-a")])
    for kind in ("resourcequotas", "events"):
        r.sink.begin_relist(kind)
        r.sink.end_relist(kind)
    return r


def rows(r: Rig) -> dict[tuple[str, str], QuotaDay]:
    quotas, _ = r.meter.ledger.history(first="2000-01-01", last="2100-01-01")
    return {(row.day, row.resource): row for row in quotas}


def test_a_day_keeps_the_peak_of_used_the_last_used_and_hard(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("resourcequotas", quota({"requests.cpu": "1", "pods": "2"}))
    r.meter.view()
    r.modify("resourcequotas", quota({"requests.cpu": "3500m", "pods": "7"}))
    r.meter.view()
    r.modify("resourcequotas", quota({"requests.cpu": "2", "pods": "4"}))
    r.meter.view()
    r.meter.flush()
    cpu = rows(r)[(TODAY, "requests.cpu")]
    assert (cpu.used_peak, cpu.used, cpu.hard, cpu.team, cpu.refusals) == (3.5, 2.0, 4.0, "web", 0)
    assert rows(r)[(TODAY, "pods")].used_peak == 7.0


def test_a_quota_without_status_yet_is_not_recorded_as_zero(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("resourcequotas", quota({}))
    r.meter.view()
    r.meter.flush()
    assert rows(r) == {}


def test_refusals_are_stored_once_each_and_by_day(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("resourcequotas", quota({"requests.cpu": "4", "pods": "4"}))
    r.add("events", refused("e1", 1))
    r.meter.view()
    r.meter.flush()
    r.meter.flush()  # nothing new: nothing added
    r.modify("events", refused("e1", 3))  # two more refusals of the same Event
    r.meter.view()
    r.meter.flush()
    assert rows(r)[(TODAY, "requests.cpu")].refusals == 3
    r.clock.advance(DAY)
    r.modify("events", refused("e1", 4))
    r.meter.view()
    r.meter.flush()
    tomorrow = day_key(day_index(T0) + 1)
    assert (
        rows(r)[(TODAY, "requests.cpu")].refusals,
        rows(r)[(tomorrow, "requests.cpu")].refusals,
    ) == (3, 1)


def test_a_failed_write_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("resourcequotas", quota({"requests.cpu": "4", "pods": "4"}))
    r.add("events", refused("e1", 2))
    r.meter.view()
    pending = r.meter.peaks.pending()
    assert {q.resource: q.refusals for q in pending.quotas} == {"requests.cpu": 2, "pods": 0}
    # The write fails (the batch is never committed); a refusal arrives meanwhile.
    r.modify("events", refused("e1", 3))
    r.meter.view()
    r.meter.flush()
    assert rows(r)[(TODAY, "requests.cpu")].refusals == 3
    # A row changed between pending() and committed() stays pending with what is new.
    r.modify("resourcequotas", quota({"requests.cpu": "3", "pods": "5"}))
    r.meter.view()
    batch = r.meter.peaks.pending()
    r.modify("resourcequotas", quota({"requests.cpu": "1", "pods": "6"}))
    r.meter.view()
    r.meter.ledger.write(r.meter.integrator.pending(r.clock()), batch)
    r.meter.peaks.committed(batch)
    assert {q.resource: q.used for q in r.meter.peaks.pending().quotas} == {
        "requests.cpu": 1.0, "pods": 6.0
    }  # fmt: skip


def test_a_new_day_records_every_key_again(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("resourcequotas", quota({"requests.cpu": "2", "pods": "3"}))
    r.meter.view()
    r.meter.flush()
    for _ in range(3):  # nothing changes for three days: each still gets its rows
        r.clock.advance(DAY)
        r.meter.view()
        r.meter.flush()
    assert sorted(day for day, resource in rows(r) if resource == "pods") == [
        day_key(day_index(T0) + i) for i in range(4)
    ]
    assert r.meter.peaks.pending().quotas == ()


def test_demand_keeps_the_peak_requests_and_usage(tmp_path: Path) -> None:
    r = rig(tmp_path)
    r.add("pods", pod("dev", "a", cpu="1", memory="1Gi"))
    r.sample(pod_metrics("dev", "a", cpu="300m", memory="512Mi"))
    r.meter.view()
    r.add("pods", pod("dev", "b", cpu="2", memory="1Gi"))
    r.clock.advance(60)
    r.sample(pod_metrics("dev", "a", cpu="100m", memory="256Mi"))
    r.meter.view()
    r.delete("pods", pod("dev", "b", cpu="2", memory="1Gi"))
    r.meter.view()
    r.meter.flush()
    _, demand = r.meter.ledger.history(first=TODAY, last=TODAY)
    assert sorted(demand, key=lambda d: d.resource) == [
        DemandDay(TODAY, "dev", "web", "cpu", 3.0, 0.3),
        DemandDay(TODAY, "dev", "web", "memory", 2.0 * 2**30, 512.0 * 2**20),
    ]


def test_the_history_and_its_advice_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock(T0 - 9 * DAY)
    r = rig(tmp_path, clock)
    for i, used in enumerate(("1", "2", "1", "3", "2", "2")):  # six days, then a stop
        clock.advance(DAY if i else 0)
        r.modify("resourcequotas", quota({"requests.cpu": used, "pods": "3"}))
        r.meter.view()
    r.meter.close()
    stored = Ledger.open(r.path, readonly=True)
    [before] = ledger_recommendations(
        stored, now=clock(), window_days=30, headroom=0.2, keys={("dev", "compute", "requests.cpu")}
    )
    stored.close()
    assert (before.verdict, before.days) == ("insufficient-history", 6)
    clock.advance(DAY)
    again = rig(tmp_path, clock)  # a new process on the same ledger, the next day
    again.add("resourcequotas", quota({"requests.cpu": "2", "pods": "3"}))
    again.meter.view()
    again.meter.flush()
    advice = {a.resource: a for a in ledger_recommendations(
        again.meter.ledger, now=clock(), window_days=30, headroom=0.2
    )}  # fmt: skip
    cpu = advice["requests.cpu"]
    assert (cpu.verdict, cpu.days, cpu.suggested) == ("fit", 7, 3.3)
    assert cpu.used_peak_p95 == pytest.approx(2.7)
    assert advice["pods"].suggested == 4.0  # 3 * 1.2 = 3.6, a whole 4


def test_days_past_100_are_pruned(tmp_path: Path) -> None:
    clock = Clock(T0)
    r = rig(tmp_path, clock)
    r.add("resourcequotas", quota({"requests.cpu": "1", "pods": "1"}))
    r.meter.view()
    r.meter.flush()
    clock.advance(100 * DAY)
    r.meter.view()
    r.meter.flush()
    assert sorted({day for day, _ in rows(r)}) == [TODAY, day_key(day_index(T0) + 100)]
    clock.advance(DAY)
    r.meter.view()
    r.meter.flush()
    assert TODAY not in {day for day, _ in rows(r)}


def _as_version_1(path: Path) -> None:
    """The ledger at ``path`` as quotameter wrote it before the history tables."""
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE quota_day; DROP TABLE demand_day; PRAGMA user_version = 1;")
    db.close()


def test_a_version_1_ledger_is_upgraded_in_place_when_opened_for_writing(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.sync(pods=[pod("dev", "a", cpu="1")], nodes=[node("node-a")])
    r.clock.advance(HOUR)
    r.meter.close()
    _as_version_1(r.path)
    db = sqlite3.connect(r.path)
    cost_before = db.execute("SELECT SUM(cost) FROM cost").fetchone()[0]
    db.close()
    read = Ledger.open(r.path, readonly=True)  # read-only: read as it is, without history
    assert (read.has_history, read.history(first=TODAY, last=TODAY)) == (False, ([], []))
    read.close()
    ledger = Ledger.open(r.path)
    assert ledger.has_history
    ledger.close()
    db = sqlite3.connect(r.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("SELECT SUM(cost) FROM cost").fetchone()[0] == pytest.approx(cost_before)
    db.close()


def test_a_version_2_ledger_without_its_history_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(path).close()
    _as_version_1(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 2")
    db.close()
    with pytest.raises(Exception, match=r"lacks tables \['demand_day', 'quota_day'\]"):
        Ledger.open(path, readonly=True)


def test_observing_and_taking_a_slice_at_a_time_gives_the_same_rows(tmp_path: Path) -> None:
    """The daemon's tick and flush pause between slices (5,000 namespaces: 0.1-0.25 s
    each at once); what they gather and take is what one call gathers and takes."""
    r = Rig(tmp_path)
    r.sync(namespaces=[namespace(f"ns-{i}", team="web") for i in range(7)], nodes=[node("a")])
    quotas: list[ResourceQuota] = []
    for i in range(7):
        body = quota({"requests.cpu": f"{i}", "pods": "1"})
        body["metadata"] = {"name": "compute", "namespace": f"ns-{i}"}
        quotas.append(body)
    for kind, items in (("resourcequotas", quotas), ("events", [])):
        r.sink.begin_relist(kind)
        r.sink.add_listed(kind, items)
        r.sink.end_relist(kind)
    whole, stepped = DailyPeaks(), DailyPeaks()
    snapshot = r.state.snapshot()
    whole.observe(snapshot, usage=r.usage, day=TODAY)
    pauses = list(stepped.observe_steps(snapshot, usage=r.usage, day=TODAY, step=3))
    assert len(pauses) == 2  # after 3 and 6 of the 7 namespaces
    parts = list(stepped.pending_steps(step=5))
    assert len(parts) == 3  # 14 quota rows and no demand rows (no pods), 5 at a time
    joined, at_once = HistoryBatch.join(parts), whole.pending()
    assert sorted(joined.quotas) == sorted(at_once.quotas)
    assert len(joined.quotas) == 14
    assert joined.keys[:3] == tuple((r.day, "quota", (r.namespace, r.quota, r.resource))
                                    for r in joined.quotas[:3])  # fmt: skip
    stepped.committed(joined)
    assert stepped.pending() == HistoryBatch()
