"""The durable cost ledger: SQLite rows per UTC day x owner x resource, and coverage.

Writing: ``flush(now)`` takes everything the source (the Integrator) accrued since the
last flush and adds it to the stored rows in one transaction (an UPSERT that adds the
deltas), with the day's observed seconds and the flush time; the source forgets those
amounts only after the commit. Nothing is ever replayed: a restarted daemon integrates
from its own start, so a restart cannot count anything twice, and the time it was not
running (plus at most one flush interval lost to a crash) shows as coverage below 1.

Reading, for chargeback (all amounts as stored, i.e. up to the last flush):

- ``rows(month)``: every ``LedgerRow`` of the month ("YYYY-MM"), ordered by day (and
  within a day in a stable order, not by owner; a month of 5,000 namespaces is 600,000
  rows, so nothing is sorted that the caller may not need sorted). Rows whose owner
  namespace is ``CAPACITY_NAMESPACE`` ("") hold cluster
  capacity cost (node capacity for cpu/memory/gpu, provisioned storage), from which
  idle = capacity cost - allocated cost, per resource, floored at 0.
- ``coverage(month, now=...)``: observed seconds / seconds of the month elapsed at
  ``now`` (capped at the month's end): 1.0 when the daemon saw the whole month.
- ``month_totals(month)``: the month summed in SQL, per owner x resource and per
  day x resource (allocated, capacity): what chargeback needs, in about 0.4 s where
  ``rows`` takes 1 s for 5,000 namespaces.
- ``month_days(month)``: ``month_totals`` and ``rows`` read in one snapshot, for the
  FOCUS export (its days must add up to the month's chargeback exactly).
- ``coverage_days(month)``, ``last_flush_timestamp``.
- ``month_cost(month)``: stored cost per (namespace, team, resource) of the month, and
  the number of writes it includes (for quotameter_cost_month_to_date).
- ``history(first, last)``: the daily quota and demand rows of those days, for quota
  right-sizing (written with the cost, in the same transaction: see ledger/history.py).

A bad month string raises ValueError; SQLite failures raise LedgerError. A Ledger is
used by one thread at a time (the CostMeter gives it a thread of its own); it may be
opened in another thread than the one that uses it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from exporter.cost.days import day_index, day_key, elapsed_in_month, month_day_range
from exporter.cost.integrator import Batch, CostRow
from exporter.cost.records import (
    CAPACITY_NAMESPACE,
    Coverage,
    DayTotal,
    LedgerRow,
    MonthTotals,
)
from exporter.errors import LedgerError
from exporter.ledger.files import connect
from exporter.ledger.history import HISTORY_TABLES, KEEP_DAYS, read_history, write_history
from exporter.ledger.locking import LedgerLock
from exporter.ledger.series import SeriesIndex
from exporter.model.peaks import DemandDay, HistoryBatch, QuotaDay

CostKey = tuple[str, str, str]  # (namespace, team, resource)

_UPSERT_COST = """
INSERT INTO cost (day, series, unit_seconds, cost) VALUES (?, ?, ?, ?)
ON CONFLICT (day, series) DO UPDATE SET
    unit_seconds = unit_seconds + excluded.unit_seconds, cost = cost + excluded.cost
"""
_UPSERT_COVERAGE = """
INSERT INTO coverage VALUES (?, ?)
ON CONFLICT (day) DO UPDATE SET observed_seconds = observed_seconds + excluded.observed_seconds
"""
_SET_META = "INSERT OR REPLACE INTO meta VALUES (?, ?)"
_ROWS = "SELECT day, series, unit_seconds, cost FROM cost WHERE day >= ? AND day < ?"
_MONTH_COST = "SELECT series, SUM(cost) FROM cost WHERE day >= ? AND day < ? GROUP BY series"
_OWNER_TOTALS = (
    "SELECT series, SUM(unit_seconds), SUM(cost) FROM cost "
    "WHERE day >= ? AND day < ? GROUP BY series"
)
_DAY_TOTALS = """
SELECT day, resource, namespace = ? AS capacity, SUM(unit_seconds), SUM(cost)
FROM cost JOIN series ON series.id = cost.series
WHERE day >= ? AND day < ? GROUP BY day, resource, capacity ORDER BY day, resource
"""
_LAST_FLUSH = "last_flush"


class AccrualSource(Protocol):
    """What a writing ledger flushes from (the Integrator)."""

    def pending(self, now: float) -> Batch:
        """Everything accrued up to ``now`` and not yet committed."""

    def committed(self, batch: Batch) -> None:
        """``batch`` is durable: stop holding it."""


class Ledger:
    """One ledger file; open with ``Ledger.open``."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        path: Path,
        source: AccrualSource | None,
        lock: LedgerLock | None = None,
    ):
        self.path, self._db, self._source, self._lock = path, connection, source, lock
        self.writes = 0  # batches written by this object
        self._series = SeriesIndex()
        with self._reading():
            self._series.load(connection)
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        self.has_history = tables >= HISTORY_TABLES  # False for a version-1 file read-only
        self.last_flush_timestamp: float | None = self._read_last_flush()

    @classmethod
    def open(
        cls, path: Path | str, *, source: AccrualSource | None = None, readonly: bool = False
    ) -> Ledger:
        """Open (or create, unless ``readonly``) the ledger at ``path``; ``source`` is
        what ``flush`` writes. LedgerError names the path when the file is refused, and
        LedgerInUse the holder when another process writes it (one writer per file)."""
        path = Path(path)
        lock = None if readonly else LedgerLock(path)
        if lock is not None:
            lock.acquire()  # before SQLite touches the file
        try:
            connection = connect(path, readonly=readonly)
            try:
                return cls(connection, path=path, source=source, lock=lock)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            if lock is not None:
                lock.release(tidy=True)
            raise

    def close(self) -> None:
        """Close the file (flush first: unflushed amounts are not written) and release
        the writer lock."""
        try:
            self._db.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def flush(self, now: float) -> int:
        """Write what the source accrued up to ``now`` in one transaction; the number of
        cost rows written."""
        if self._source is None:
            raise LedgerError(f"ledger {self.path} was opened without a source to flush")
        batch = self._source.pending(now)
        self.write(batch)
        self._source.committed(batch)
        return len(batch.cost)

    def write(self, batch: Batch, history: HistoryBatch | None = None) -> int:
        """Add ``batch`` to the stored rows and coverage, and ``history`` to the daily
        history, atomically; the write's number."""
        coverage = [(c.day, c.observed_seconds) for c in batch.coverage]
        with self._transaction("write"):
            if history is not None:
                oldest_kept = day_key(day_index(batch.until) - KEEP_DAYS)
                write_history(self._db, history, oldest_kept=oldest_kept)
            ids, new = self._series.ids_for(self._db, [row[0] for row in batch.cost])
            cost = [(row[1], sid, row[2], row[3]) for row, sid in zip(batch.cost, ids, strict=True)]
            self._db.executemany(_UPSERT_COST, cost)
            self._db.executemany(_UPSERT_COVERAGE, coverage)
            self._db.execute(_SET_META, (_LAST_FLUSH, repr(batch.until)))
        self._series.adopt(new)
        self.last_flush_timestamp = batch.until
        self.writes += 1
        return self.writes

    # -- reading -------------------------------------------------------------------

    def rows(self, month: str) -> list[LedgerRow]:
        """Every stored row of ``month`` (YYYY-MM), capacity rows included, ordered by
        day, and within a day in a stable order (not by owner: sort if you need to)."""
        with self._reading():
            found = self._db.execute(_ROWS, month_day_range(month)).fetchall()
            self._series.load(self._db)
        owner = self._series.owner
        return [LedgerRow(day, *owner(sid), units, cost) for day, sid, units, cost in found]

    def month_totals(self, month: str) -> MonthTotals:
        """``month`` summed by SQLite: per owner x resource, and per day x resource
        (allocated and capacity); a fraction of the time of ``rows`` for a big month."""
        first, after = month_day_range(month)
        with self._reading():
            owners = self._db.execute(_OWNER_TOTALS, (first, after)).fetchall()
            found = self._db.execute(_DAY_TOTALS, (CAPACITY_NAMESPACE, first, after)).fetchall()
            self._series.load(self._db)
        days: dict[tuple[str, str], list[float]] = {}
        for day, resource, capacity, units, cost in found:
            sums = days.setdefault((day, resource), [0.0, 0.0, 0.0, 0.0])
            sums[2 * capacity], sums[2 * capacity + 1] = units, cost
        owner = self._series.owner
        return MonthTotals(
            month,
            tuple(LedgerRow(month, *owner(sid), units, cost) for sid, units, cost in owners),
            tuple(DayTotal(day, resource, *sums) for (day, resource), sums in days.items()),
        )

    def month_days(self, month: str) -> tuple[MonthTotals, list[LedgerRow]]:
        """``month_totals`` and ``rows`` of ``month`` read in one snapshot, so that a
        flush by the writer between the two reads cannot make them disagree."""
        with self._snapshot():
            return self.month_totals(month), self.rows(month)

    def coverage_days(self, month: str) -> list[Coverage]:
        """Observed seconds of each UTC day of ``month`` the daemon saw, by day."""
        query = "SELECT day, observed_seconds FROM coverage WHERE day >= ? AND day < ? ORDER BY 1"
        with self._reading():
            found = self._db.execute(query, month_day_range(month)).fetchall()
        return [Coverage(day, seconds) for day, seconds in found]

    def coverage(self, month: str, *, now: float) -> float:
        """Observed share of the part of ``month`` elapsed at ``now``, in [0, 1]."""
        elapsed = elapsed_in_month(month, now)
        if elapsed <= 0:
            return 0.0
        observed = sum(c.observed_seconds for c in self.coverage_days(month))
        return min(1.0, observed / elapsed)

    def month_cost(self, month: str) -> tuple[dict[CostKey, float], int]:
        """Stored cost per (namespace, team, resource) in ``month``, capacity left out,
        and how many of this object's writes it includes."""
        with self._reading():
            found = self._db.execute(_MONTH_COST, month_day_range(month)).fetchall()
            self._series.load(self._db)
        totals: dict[CostKey, float] = {}
        for sid, cost in found:
            owner, resource = self._series.owner(sid)
            if owner.namespace != CAPACITY_NAMESPACE:
                key = (owner.namespace, owner.team, resource)
                totals[key] = totals.get(key, 0.0) + cost
        return totals, self.writes

    def history(self, *, first: str, last: str) -> tuple[list[QuotaDay], list[DemandDay]]:
        """The daily quota and demand rows of the days ``first`` to ``last`` (YYYY-MM-DD,
        both included); none from a version-1 file read as it is."""
        if not self.has_history:
            return [], []
        with self._reading():
            return read_history(self._db, first=first, last=last)

    # -- internals -----------------------------------------------------------------

    def _read_last_flush(self) -> float | None:
        with self._reading():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_LAST_FLUSH,))
            found = row.fetchone()
        return float(found[0]) if found else None

    @contextmanager
    def _transaction(self, action: str) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise LedgerError(f"cannot {action} ledger {self.path}: {e}") from e

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        # A read transaction: SQLite (WAL) keeps one view of the file until COMMIT.
        with self._reading():
            self._db.execute("BEGIN")
        try:
            yield
        finally:
            with self._reading():
                self._db.execute("COMMIT")

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise LedgerError(f"cannot read ledger {self.path}: {e}") from e


def month_costs(totals: dict[CostKey, float], rows: tuple[CostRow, ...], month: str) -> None:
    """Add the cost of ``rows`` in ``month`` to ``totals`` (capacity left out)."""
    for series, day, _, cost in rows:
        if day.startswith(month) and series[0] != CAPACITY_NAMESPACE:
            key = (series[0], series[1], series[4])
            totals[key] = totals.get(key, 0.0) + cost
