"""The SQLite ledger: flush and read back, restarts without double counting, coverage,
month-to-date, and files that are not ours refused and left byte-identical."""

from __future__ import annotations

import calendar
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from exporter.cost.integrator import Batch, Integrator
from exporter.cost.records import CAPACITY_NAMESPACE, Coverage, LedgerRow, Owner
from exporter.errors import LedgerError
from exporter.ledger.files import APPLICATION_ID
from exporter.ledger.store import Ledger
from tests.cost.costhelpers import HOUR, Clock, Rig, namespace, node, pod

APRIL = float(calendar.timegm((2026, 4, 1, 0, 0, 0)))
DEV = Owner("dev", "agents")


def running(tmp_path: Path, start: float) -> Rig:
    """A daemon 'process': a fresh meter on the shared ledger file, synced at ``start``."""
    r = Rig(tmp_path, clock=Clock(start))
    r.sync(namespaces=[namespace("dev", team="agents")], nodes=[node("node-a")],
           pods=[pod("dev", "w", cpu="1")])  # fmt: skip
    return r


def total(rows: list[LedgerRow], namespace: str = "dev", resource: str = "cpu") -> float:
    return sum(r.cost for r in rows if r.owner.namespace == namespace and r.resource == resource)


def test_flushed_rows_read_back_equal_after_reopening(tmp_path: Path) -> None:
    r = running(tmp_path, APRIL)
    r.clock.advance(HOUR)
    pending = r.meter.integrator.pending(r.clock())
    expected = sorted(pending.rows, key=lambda x: (x.day, x.owner, x.resource))
    assert r.meter.flush() == len(expected) > 0
    r.meter.ledger.close()
    with Ledger.open(r.path, readonly=True) as ledger:
        assert (
            sorted(ledger.rows("2026-04"), key=lambda x: (x.day, x.owner, x.resource)) == expected
        )
        assert ledger.last_flush_timestamp == APRIL + HOUR
        assert ledger.coverage_days("2026-04") == [Coverage("2026-04-01", 3600.0)]
    capacity = [row for row in expected if row.owner.namespace == CAPACITY_NAMESPACE]
    assert {row.resource for row in capacity} == {"cpu", "memory"}


def test_flushes_add_up_and_clear_what_they_wrote(tmp_path: Path) -> None:
    r = running(tmp_path, APRIL)
    for _ in range(4):
        r.clock.advance(15 * 60)
        r.meter.flush()
    assert r.meter.integrator.pending(r.clock()).rows == ()
    assert total(r.meter.ledger.rows("2026-04")) == pytest.approx(0.03)


def test_a_restart_resumes_without_double_counting_and_the_gap_lowers_coverage(
    tmp_path: Path,
) -> None:
    first = running(tmp_path, APRIL)  # 00:00 - 01:00
    first.clock.advance(HOUR)
    first.meter.close()
    second = running(tmp_path, APRIL + 2 * HOUR)  # down 01:00 - 02:00, then up to 03:00
    second.clock.advance(HOUR)
    second.meter.close()
    with Ledger.open(second.path) as ledger:
        assert total(ledger.rows("2026-04")) == pytest.approx(2 * 0.03)
        assert ledger.coverage("2026-04", now=APRIL + 3 * HOUR) == pytest.approx(2 / 3)
        assert ledger.coverage("2026-03", now=APRIL + 3 * HOUR) == 0.0


def test_a_crash_loses_at_most_the_unflushed_interval_and_never_adds(tmp_path: Path) -> None:
    first = running(tmp_path, APRIL)
    first.clock.advance(HOUR)
    first.meter.flush()
    first.clock.advance(0.5 * HOUR)  # killed here: nothing more is written
    first.meter.ledger.close()
    second = running(tmp_path, first.clock())
    second.clock.advance(HOUR)
    second.meter.close()
    with Ledger.open(second.path) as ledger:
        assert total(ledger.rows("2026-04")) == pytest.approx(2 * 0.03)
        assert ledger.coverage("2026-04", now=APRIL + 2.5 * HOUR) == pytest.approx(2 / 2.5)


def test_month_to_date_adds_unflushed_amounts_and_rolls_over(tmp_path: Path) -> None:
    r = running(tmp_path, APRIL - HOUR)  # 23:00 on March 31
    r.clock.advance(2 * HOUR)
    assert r.meter.month_to_date(r.clock())[("dev", "agents", "cpu")] == pytest.approx(0.03)
    r.meter.flush()
    r.clock.advance(HOUR)
    assert r.meter.month_to_date(r.clock())[("dev", "agents", "cpu")] == pytest.approx(0.06)
    march, _ = r.meter.ledger.month_cost("2026-03")  # flushed: all of it is stored
    assert march[("dev", "agents", "cpu")] == pytest.approx(0.03)
    assert all(key[0] != CAPACITY_NAMESPACE for key in march)


def test_a_failed_write_rolls_back_and_keeps_the_amounts_pending(tmp_path: Path) -> None:
    integrator = Integrator()
    with Ledger.open(tmp_path / "l.sqlite", source=integrator) as ledger:
        good = (("dev", "agents", "", "", "cpu"), "2026-04-01", 1.0, 0.5)
        bad = (("dev", "agents", "", "", "memory"), "2026-04-01", 1.0, None)
        with pytest.raises(LedgerError, match="cannot write ledger"):
            ledger.write(Batch(APRIL, (good, bad), ()))  # type: ignore[arg-type]  # None, on purpose
        assert ledger.rows("2026-04") == []
        assert ledger.last_flush_timestamp is None


def test_flush_needs_a_source_and_reading_needs_the_file(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite") as ledger, pytest.raises(LedgerError, match="source"):
        ledger.flush(APRIL)
    with pytest.raises(LedgerError, match="does not exist"):
        Ledger.open(tmp_path / "missing.sqlite", readonly=True)
    with Ledger.open(tmp_path / "l.sqlite") as ledger, pytest.raises(ValueError, match="YYYY-MM"):
        ledger.rows("April")


def test_the_file_is_created_with_its_parents_and_an_empty_file_is_adopted(tmp_path: Path) -> None:
    Ledger.open(tmp_path / "a" / "b" / "ledger.sqlite").close()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    Ledger.open(empty).close()
    blank = tmp_path / "blank.sqlite"
    sqlite3.connect(blank).execute("VACUUM").connection.close()  # a header, no tables
    Ledger.open(blank).close()
    for path in (tmp_path / "a" / "b" / "ledger.sqlite", empty, blank):
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        db.close()


def _foreign_sqlite(path: Path, *, application_id: int = 0) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.execute("INSERT INTO notes VALUES ('keep me')")
    db.execute(f"PRAGMA application_id = {application_id}")
    db.commit()
    db.close()


def _corrupt_ledger(path: Path) -> None:
    r = Rig(path.parent, clock=Clock(APRIL))
    pods = [pod(f"ns{i}", "w", cpu="1") for i in range(300)]
    r.sync(nodes=[node("node-a")], pods=pods)
    r.clock.advance(HOUR)
    r.meter.close()
    data = bytearray(r.path.read_bytes())
    data[8192:12288] = b"\xff" * 4096  # wreck a b-tree page in the middle
    r.path.replace(path)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("name,cost\nx,1\n"), "not an SQLite database"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x00" * 20), "not an SQLite database"),
        (_foreign_sqlite, "another application"),
        (lambda p: _foreign_sqlite(p, application_id=0x12345678), "0x12345678"),
        (_corrupt_ledger, "corrupt"),
    ],
    ids=["text", "truncated-header", "foreign", "foreign-app-id", "corrupt"],
)
def test_files_that_are_not_sound_ledgers_are_refused_untouched(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "ledger.sqlite"
    make(path)
    before = path.read_bytes()
    siblings = sorted(p.name for p in tmp_path.iterdir())
    for readonly in (False, True):
        with pytest.raises(LedgerError, match=message) as caught:
            Ledger.open(path, readonly=readonly)
        assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_a_ledger_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger.open(path)


def test_month_totals_sum_the_rows_by_owner_and_by_day(tmp_path: Path) -> None:
    r = running(tmp_path, APRIL - HOUR)  # across the month boundary: March's hour stays out
    r.add("pods", pod("dev", "big", cpu="3"))
    r.clock.advance(26 * HOUR)  # all of April 1st, and an hour of the 2nd
    r.meter.flush()
    ledger = r.meter.ledger
    totals = ledger.month_totals("2026-04")
    rows = ledger.rows("2026-04")
    dev_cpu = [
        t for t in totals.owners if t.owner == Owner("dev", "agents") and t.resource == "cpu"
    ]
    assert [t.day for t in dev_cpu] == ["2026-04"]
    assert [t.cost for t in dev_cpu] == pytest.approx([total(rows)])
    assert dev_cpu[0].cost == pytest.approx(25 * 4 * 0.03)
    days = {(d.day, d.resource): d for d in totals.days}
    first = days[("2026-04-01", "cpu")]
    assert (first.allocated_unit_seconds, first.allocated_cost) == pytest.approx(
        (4 * 86400.0, 4 * 24 * 0.03)
    )
    assert first.capacity_cost == pytest.approx(4 * 24 * 0.03)  # node-a: 4 cores, all used
    assert days[("2026-04-02", "memory")].allocated_cost == 0.0
    assert sorted(days) == sorted({(row.day, row.resource) for row in rows})
