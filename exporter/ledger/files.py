"""Opening the ledger's SQLite file safely: recognise it, create it, or refuse it.

A ledger file is an SQLite database whose header carries quotameter's
``application_id`` and whose ``user_version`` is the schema version. Anything else
already at the path (a text file, a corrupt file, another application's database, a
ledger of a newer schema) is refused with a LedgerError naming the path, and the file
is never written: the checks read the raw header bytes before SQLite touches the file,
and SQLite only opens files that are ours, or new, or blank.

The schema is created in rollback-journal mode, so the header (application_id
included) lands in the main file at once, before WAL mode is switched on; afterwards
the header is never rewritten with another identity.

Schema versions: 1 had the cost tables; 2 adds the daily history of quota right-sizing
(exporter.ledger.history). A version-1 file opened for writing is upgraded in place, in
one transaction; opened read-only it is read as it is, without history.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from exporter.errors import LedgerError
from exporter.ledger.history import HISTORY_SCHEMA, HISTORY_TABLES

APPLICATION_ID = 0x51544D4C  # "QTML": quotameter ledger
SCHEMA_VERSION = 2
_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100

SCHEMA = (
    """
CREATE TABLE series (                 -- one owner x resource
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,          -- '' holds cluster capacity (CAPACITY_NAMESPACE)
    team TEXT NOT NULL,
    vcluster TEXT NOT NULL,           -- '' unless the pods were synced by a vcluster
    virtual_namespace TEXT NOT NULL,
    resource TEXT NOT NULL,           -- cpu | memory | gpu | storage
    UNIQUE (namespace, team, vcluster, virtual_namespace, resource)
);
CREATE TABLE cost (                   -- one UTC day x series
    day TEXT NOT NULL,                -- YYYY-MM-DD
    series INTEGER NOT NULL REFERENCES series (id),
    unit_seconds REAL NOT NULL,       -- core-, GiB-, GPU- or GiB-seconds
    cost REAL NOT NULL,               -- in the pricing file's currency
    PRIMARY KEY (day, series)
) WITHOUT ROWID;
CREATE TABLE coverage (
    day TEXT PRIMARY KEY,             -- UTC day
    observed_seconds REAL NOT NULL    -- seconds the daemon accrued cost that day
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE VIEW cost_rows AS              -- for people with the sqlite3 shell
    SELECT day, namespace, team, vcluster, virtual_namespace, resource, unit_seconds, cost
    FROM cost JOIN series ON series.id = cost.series;
"""
    + HISTORY_SCHEMA
)
_TABLES = {"series", "cost", "coverage", "meta"}


class _Corrupt(LedgerError):
    """The file is ours but damaged."""


# Only these SQLite results mean a damaged file; a read-only filesystem, a missing -shm
# or a full disk are not the file's fault and must never be reported as corruption.
_CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """An open connection to the ledger at ``path``, created when absent (unless
    ``readonly``); LedgerError when the file is not a quotameter ledger. It may be used
    from another thread than this one, by one thread at a time."""
    state = _inspect(path)
    if state == "new":
        if readonly:
            raise LedgerError(f"ledger {path} does not exist")
        return _create(path)
    absent = [s for s in (_sidecar(path, "-wal"), _sidecar(path, "-shm")) if not s.exists()]
    connection = _open(path, readonly=readonly)
    try:
        version = _check_schema(connection, path)
        if not readonly:
            _tune(connection)  # only once the file is known to be a sound ledger
            if version < SCHEMA_VERSION:
                _upgrade(connection)
    except (sqlite3.Error, _Corrupt) as e:
        connection.close()
        # Nobody else uses a corrupt file, so the sidecars this check made are ours.
        _remove_empty_sidecars(absent)
        if isinstance(e, _Corrupt):
            raise
        raise LedgerError(f"cannot open ledger {path}: {e}") from e
    except BaseException:
        connection.close()
        raise
    return connection


def _remove_empty_sidecars(created: list[Path]) -> None:
    """Remove the -wal/-shm files SQLite made while a refused file was checked, so the
    refusal leaves the directory as it was; only an empty -wal (nothing in it) goes."""
    wal = next((p for p in created if p.name.endswith("-wal")), None)
    if wal is not None and wal.exists() and wal.stat().st_size:
        return
    for sidecar in created:
        with contextlib.suppress(OSError):  # a read-only filesystem: nothing was made
            sidecar.unlink(missing_ok=True)


def _inspect(path: Path) -> str:
    """ "new" for a missing, empty or blank SQLite file; "ours" for a ledger; else refuse."""
    try:
        with open(path, "rb") as file:
            header = file.read(_HEADER_SIZE)
    except FileNotFoundError:
        return "new"
    except OSError as e:
        raise LedgerError(f"cannot read ledger {path}: {e.strerror or e}") from e
    if not header:
        return "new"  # what a crash between creating and initialising the file leaves
    if not header.startswith(_MAGIC) or len(header) < _HEADER_SIZE:
        raise LedgerError(f"ledger {path} is not an SQLite database (corrupt or foreign file)")
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return "ours"
    if application_id == 0 and _blank(path, header):
        return "new"
    raise LedgerError(
        f"ledger {path} is an SQLite database of another application "
        f"(application_id {application_id:#010x}); refusing to use or change it"
    )


def _blank(path: Path, header: bytes) -> bool:
    # A database of one page has no table: every table has a root page of its own past
    # page 1. A non-empty -wal file might hold pages the main file does not show yet.
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    wal = _sidecar(path, "-wal")
    return path.stat().st_size <= page_size and not (wal.exists() and wal.stat().st_size)


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _create(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{SCHEMA}\nPRAGMA application_id = {APPLICATION_ID};\n"
            f"PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
        _tune(connection)
    except (OSError, sqlite3.Error) as e:
        raise LedgerError(f"cannot create ledger {path}: {e}") from e
    return connection


def _open(path: Path, *, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            if _on_readonly_filesystem(path):
                # WAL readers need a -shm file they cannot create there; and nothing can
                # change the file on such a filesystem, so reading it as immutable is true.
                uri += "&immutable=1"
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as e:
        raise LedgerError(f"cannot open ledger {path}: {e}") from e


def _on_readonly_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _tune(connection: sqlite3.Connection) -> None:
    # WAL: readers (chargeback) never block the flush, and a crash mid-flush leaves the
    # last committed state. FULL: a committed flush survives a power loss too.
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = OFF")


def _upgrade(connection: sqlite3.Connection) -> None:
    """Version 1 to 2: add the history tables (the only change so far)."""
    connection.executescript(
        f"BEGIN IMMEDIATE;\n{HISTORY_SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
    )


def _check_schema(connection: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, once it is known to be a sound ledger."""
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        problem = connection.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorcode", None) in _CORRUPTION_CODES:
            raise _Corrupt(f"ledger {path} is corrupt: {e}") from e
        raise LedgerError(f"cannot read ledger {path}: {e}") from e
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {path} has schema version {version}, newer than this quotameter's "
            f"{SCHEMA_VERSION}; upgrade quotameter"
        )
    if problem != "ok":
        raise _Corrupt(f"ledger {path} is corrupt: {problem}")
    expected = _TABLES | (HISTORY_TABLES if version >= 2 else set())
    if not tables >= expected:
        raise LedgerError(f"ledger {path} lacks tables {sorted(expected - tables)}")
    return int(version)
