"""One writer per ledger: an OS file lock on ``<ledger>.lock`` beside the file.

Two daemons writing one ledger would each add their own integration of the same
cluster, counting every cost twice. The writer takes an exclusive ``flock`` before it
opens the database and keeps it until it closes; the kernel drops it when the process
dies, so a SIGKILL leaves no stale lock. The lock file holds who took it (pid, host,
time), which the refusal of a second writer names. Readers (``chargeback``) take no
lock: SQLite's WAL mode lets them read beside the writer.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from pathlib import Path

from exporter.errors import LedgerError, LedgerInUse, LedgerReadOnly


class LedgerLock:
    """The exclusive writer lock of one ledger; ``acquire`` it, then ``release`` it."""

    def __init__(self, ledger: Path) -> None:
        self.ledger = ledger
        self.path = ledger.with_name(ledger.name + ".lock")
        self._fd: int | None = None
        self._created = False  # whether acquire made the lock file

    def acquire(self) -> None:
        """Take the lock: LedgerInUse naming the holder when another process has it,
        LedgerReadOnly on a read-only filesystem, LedgerError for other failures."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise _open_error(self.ledger, e) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            holder = _read_holder(fd)
            os.close(fd)
            raise LedgerInUse(
                f"ledger {self.ledger} is in use by another quotameter ({holder}); "
                "one ledger has one writer",
                holder=holder,
            ) from e
        except OSError as e:
            os.close(fd)
            raise LedgerError(f"cannot lock ledger {self.ledger}: {e.strerror or e}") from e
        _write_holder(fd)
        self._fd = fd

    def release(self, *, tidy: bool = False) -> None:
        """Drop the lock (closing the file releases it); ``tidy`` also removes a lock
        file this lock made, for a ledger refused at open that must be left as found."""
        if self._fd is not None:
            if tidy and self._created:
                self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def _open_error(ledger: Path, error: OSError) -> LedgerError:
    if error.errno == errno.EROFS:
        return LedgerReadOnly(
            f"ledger {ledger} is on a read-only filesystem; the daemon must write it "
            "(chargeback and other readers work there)"
        )
    return LedgerError(f"cannot lock ledger {ledger}: {error.strerror or error}")


def _write_holder(fd: int) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 256, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
