"""Garbage collecting while listing: thresholds raised for the length of the LISTs in
progress, and exactly what was there before restored after the last one."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from exporter.kube.gctuning import fewer_collections, freeze_after_lists


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_raised_while_listing_and_restored_after() -> None:
    with fewer_collections(50_000):
        assert gc.get_threshold() == (50_000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_lists_restore_once_the_last_ends() -> None:
    first, second = fewer_collections(50_000), fewer_collections(50_000)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == (50_000, 10, 10)  # the second LIST is still in progress
    second.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_a_list_fails() -> None:
    with pytest.raises(RuntimeError), fewer_collections(50_000):
        raise RuntimeError("LIST broke")
    assert gc.get_threshold() == (700, 10, 10)


def test_zero_leaves_collection_alone() -> None:
    with fewer_collections(0):
        assert gc.get_threshold() == (700, 10, 10)


def test_collection_turned_off_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    with fewer_collections(50_000):
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


def test_a_higher_threshold_is_never_lowered() -> None:
    gc.set_threshold(200_000, 10, 10)
    with fewer_collections(50_000):
        assert gc.get_threshold() == (200_000, 10, 10)


def test_the_daemon_freezes_what_the_last_list_left() -> None:
    freeze_after_lists()
    try:
        with fewer_collections(50_000), fewer_collections(50_000):
            records = [{"pod": i} for i in range(1000)]
        assert gc.get_freeze_count() >= len(records)  # the records, out of the GC's sight
    finally:
        freeze_after_lists(False)
        gc.unfreeze()
    with fewer_collections(50_000):
        pass
    assert gc.get_freeze_count() == 0  # off by default: a test run freezes nothing
