"""Garbage collecting while LIST pages stream in.

A LIST page is a tree of tens of thousands of dicts that lives for a few milliseconds.
With the interpreter's default threshold (a young collection every 700 allocations)
each page is still alive when collections run, so it is promoted to the oldest
generation, and those promotions soon trigger full collections, which walk every
record the state holds: at 100,000 pods they cost more than decoding the pods. While
a LIST is in progress the young-generation threshold is raised so that pages are freed
(by reference counting) before a collection ever looks at them. When the last LIST in
progress ends, the thresholds found before the first one are restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections while listing: once per this many allocations (default: 700).
LISTING_THRESHOLD = 100_000


class _Deferral:
    """How many LISTs are in progress, and the thresholds to restore after the last."""

    __slots__ = ("active", "freeze", "saved")

    def __init__(self) -> None:
        self.active = 0
        self.saved: tuple[int, int, int] = (0, 0, 0)
        self.freeze = False  # gc.freeze() when the last LIST in progress ends


# The thresholds belong to the interpreter, so the count of LISTs is per process too.
_DEFERRAL = _Deferral()


@contextmanager
def fewer_collections(threshold: int = LISTING_THRESHOLD) -> Iterator[None]:
    """Raise the young-generation threshold to ``threshold`` while the block runs
    (0: leave collection alone). Nests, and may overlap across tasks."""
    if threshold <= 0:
        yield
        return
    deferral = _DEFERRAL
    if deferral.active == 0:
        deferral.saved = gc.get_threshold()
        if deferral.saved[0]:  # 0 means collection is off: keep it so
            gc.set_threshold(max(threshold, deferral.saved[0]), *deferral.saved[1:])
    deferral.active += 1
    try:
        yield
    finally:
        deferral.active -= 1
        if deferral.active == 0:
            gc.set_threshold(*deferral.saved)
            if deferral.freeze:
                gc.freeze()


def freeze_after_lists(enabled: bool = True) -> None:
    """After each LIST (the last of those in progress), move every object the process
    holds out of the collector's sight (gc.freeze). What a LIST leaves is the state's
    records, alive until their objects change; reference counting still frees them, and
    a full collection no longer walks the whole cluster, stalling every scrape and watch
    (0.39 s at 575,000 objects for 5,000 namespaces, 3 ms once frozen). For the daemon's
    process, not for a test run."""
    _DEFERRAL.freeze = enabled
