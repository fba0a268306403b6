"""Series: the owner x resource each ledger row belongs to, numbered once.

Cost rows key on (day, series id) rather than on five text columns: an UPSERT of
30,000 rows compares integers, and a month read maps each id back to one shared
Owner instead of building a new one per row. The ids live in the ``series`` table;
this index mirrors it in memory and numbers new series inside the writing transaction.
"""

from __future__ import annotations

import sqlite3

from exporter.cost.records import Owner

SeriesKey = tuple[str, str, str, str, str]  # (namespace, team, vcluster, virtual_ns, resource)

_INSERT = (
    "INSERT INTO series (namespace, team, vcluster, virtual_namespace, resource) "
    "VALUES (?, ?, ?, ?, ?)"
)


_SELECT_ID = (
    "SELECT id FROM series WHERE namespace = ? AND team = ? AND vcluster = ? "
    "AND virtual_namespace = ? AND resource = ?"
)


class SeriesIndex:
    """Series ids by key and (owner, resource) by id, as stored in one ledger file."""

    def __init__(self) -> None:
        self._ids: dict[SeriesKey, int] = {}
        self._series: dict[int, tuple[Owner, str]] = {}
        self._loaded_up_to = 0  # highest id read from the file

    def load(self, db: sqlite3.Connection) -> None:
        """Read the series the file has that this index does not know yet (another
        process, or an earlier run, may have added some)."""
        query = (
            "SELECT id, namespace, team, vcluster, virtual_namespace, resource "
            "FROM series WHERE id > ?"
        )
        for sid, ns, team, vcluster, vns, resource in db.execute(query, (self._loaded_up_to,)):
            self._remember((ns, team, vcluster, vns, resource), sid)

    def owner(self, sid: int) -> tuple[Owner, str]:
        """(owner, resource) of series ``sid``; load first if it may be new."""
        return self._series[sid]

    def ids_for(
        self, db: sqlite3.Connection, keys: list[SeriesKey]
    ) -> tuple[list[int], dict[SeriesKey, int]]:
        """The id of each key, inserting unknown series; call inside the write
        transaction. Returns (ids, new) where ``new`` goes to ``adopt`` after the commit
        (a rolled-back transaction takes its ids with it)."""
        self.load(db)  # a series another writer added would otherwise break UNIQUE
        known = self._ids
        unknown = list(dict.fromkeys(key for key in keys if key not in known))
        new = _insert(db, unknown) if unknown else {}
        return [known.get(key) or new[key] for key in keys], new

    def adopt(self, new: dict[SeriesKey, int]) -> None:
        """Keep the series a committed transaction inserted."""
        for key, sid in new.items():
            self._remember(key, sid)

    def _remember(self, key: SeriesKey, sid: int) -> None:
        self._ids[key] = sid
        self._series[sid] = (Owner(*key[:4]), key[4])
        self._loaded_up_to = max(self._loaded_up_to, sid)


def _insert(db: sqlite3.Connection, keys: list[SeriesKey]) -> dict[SeriesKey, int]:
    """Insert new series in one statement and return their ids."""
    (top,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM series").fetchone()
    db.executemany(_INSERT, keys)
    (last,) = db.execute("SELECT MAX(id) FROM series").fetchone()
    # SQLite numbers rows max(id) + 1, + 2, ... in insertion order; should that ever not
    # hold (ids near 2**63), ask for each id instead of assuming.
    if last == top + len(keys):
        return {key: top + i for i, key in enumerate(keys, start=1)}
    return {key: db.execute(_SELECT_ID, key).fetchone()[0] for key in keys}
