"""The ledger's daily history for quota right-sizing: two tables and their SQL.

``quota_day`` holds one row per UTC day x quota key, ``demand_day`` one per UTC day x
namespace x resource (see exporter.model.peaks for what the columns mean). A write adds
a batch of changed rows: peaks with MAX, so rewriting a row never lowers them; used and
hard as the newest value; refusals added, since each batch carries only refusals not
stored before. Days older than ``KEEP_DAYS`` are deleted by each write (the primary keys
start with the day, so that is a range delete).
"""

from __future__ import annotations

import sqlite3

from exporter.model.peaks import DemandDay, HistoryBatch, QuotaDay

KEEP_DAYS = 100  # at least 90 days, as the SPEC asks, plus margin for a 90-day window
HISTORY_TABLES = {"quota_day", "demand_day"}

HISTORY_SCHEMA = """
CREATE TABLE quota_day (              -- one UTC day x quota key, for right-sizing
    day TEXT NOT NULL,                -- YYYY-MM-DD
    namespace TEXT NOT NULL,
    team TEXT NOT NULL,
    quota TEXT NOT NULL,
    resource TEXT NOT NULL,           -- the quota's key: requests.cpu, pods, ...
    used_peak REAL NOT NULL,          -- base units: cores, bytes or a count
    used REAL NOT NULL,               -- the last status.used and status.hard of the day
    hard REAL NOT NULL,
    refusals INTEGER NOT NULL,        -- objects the quota refused that day
    PRIMARY KEY (day, namespace, quota, resource)
) WITHOUT ROWID;
CREATE TABLE demand_day (             -- one UTC day x namespace x resource
    day TEXT NOT NULL,
    namespace TEXT NOT NULL,
    team TEXT NOT NULL,
    resource TEXT NOT NULL,           -- cpu, memory, storage, nvidia.com/gpu, ...
    requests_peak REAL NOT NULL,      -- effective requests of live pods (claims: storage)
    usage_peak REAL,                  -- measured usage; NULL when none was sampled
    PRIMARY KEY (day, namespace, resource)
) WITHOUT ROWID;
"""

_UPSERT_QUOTA = """
INSERT INTO quota_day VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, namespace, quota, resource) DO UPDATE SET
    team = excluded.team, used_peak = MAX(used_peak, excluded.used_peak),
    used = excluded.used, hard = excluded.hard, refusals = refusals + excluded.refusals
"""
_UPSERT_DEMAND = """
INSERT INTO demand_day VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (day, namespace, resource) DO UPDATE SET
    team = excluded.team, requests_peak = MAX(requests_peak, excluded.requests_peak),
    usage_peak = MAX(COALESCE(usage_peak, excluded.usage_peak),
                     COALESCE(excluded.usage_peak, usage_peak))
"""
_QUOTA_DAYS = """
SELECT day, namespace, team, quota, resource, used_peak, used, hard, refusals
FROM quota_day WHERE day >= ? AND day <= ?
"""
_DEMAND_DAYS = """
SELECT day, namespace, team, resource, requests_peak, usage_peak
FROM demand_day WHERE day >= ? AND day <= ?
"""


def write_history(db: sqlite3.Connection, batch: HistoryBatch, *, oldest_kept: str) -> None:
    """Store ``batch`` and delete days before ``oldest_kept``, inside the caller's
    transaction."""
    # QuotaDay and DemandDay are tuples in their tables' column order.
    db.executemany(_UPSERT_QUOTA, batch.quotas)
    db.executemany(_UPSERT_DEMAND, batch.demand)
    for table in ("quota_day", "demand_day"):
        db.execute(f"DELETE FROM {table} WHERE day < ?", (oldest_kept,))


def read_history(
    db: sqlite3.Connection, *, first: str, last: str
) -> tuple[list[QuotaDay], list[DemandDay]]:
    """Every row of the days ``first`` to ``last`` (YYYY-MM-DD), both included."""
    quotas = [QuotaDay(*row) for row in db.execute(_QUOTA_DAYS, (first, last))]
    demand = [DemandDay(*row) for row in db.execute(_DEMAND_DAYS, (first, last))]
    return quotas, demand
