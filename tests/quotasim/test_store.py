"""The store: global resourceVersion, bounded history, consistent paginated LIST."""

from __future__ import annotations

import asyncio

import pytest

from quotasim.resources import BY_PATH
from quotasim.store import Expired, Store

PODS = BY_PATH[("", "v1", "pods")]
NAMESPACES = BY_PATH[("", "v1", "namespaces")]


def _pod(ns: str, name: str) -> dict:
    return {"metadata": {"namespace": ns, "name": name}, "spec": {}}


def test_every_write_gets_the_next_resource_version() -> None:
    store = Store(first_rv=100)
    a = store.put(PODS, _pod("a", "p1"))
    b = store.put(PODS, _pod("a", "p2"))
    gone = store.remove(PODS, "a", "p1")
    assert [a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"]] == ["101", "102"]
    assert gone is not None
    assert gone["metadata"]["resourceVersion"] == "103"
    assert [(e.rv, e.type) for e in store.events_since(100)] == [
        (101, "ADDED"),
        (102, "ADDED"),
        (103, "DELETED"),
    ]
    assert [e.rv for e in store.events_since(102)] == [103]


def test_history_past_its_bound_is_expired() -> None:
    store = Store(history_size=3, first_rv=0)
    for i in range(5):
        store.put(PODS, _pod("a", f"p{i}"))
    assert [e.rv for e in store.events_since(2)] == [3, 4, 5]
    with pytest.raises(Expired, match="too old resource version: 1"):
        store.events_since(1)


def test_pagination_returns_a_consistent_snapshot_once_each() -> None:
    store = Store()
    for i in range(7):
        store.put(PODS, _pod(f"ns{i % 2}", f"p{i}"))
    first = store.list_page(
        PODS, namespace=None, match=None, limit=3, continue_token=None, selector_key=""
    )
    store.put(PODS, _pod("ns0", "late"))  # written after the list started: not in its pages
    names, page = [p["metadata"]["name"] for p in first.items], first
    while page.continue_token:
        page = store.list_page(
            PODS,
            namespace=None,
            match=None,
            limit=3,
            continue_token=page.continue_token,
            selector_key="",
        )
        names += [p["metadata"]["name"] for p in page.items]
        assert page.resource_version == first.resource_version
    assert sorted(names) == [f"p{i}" for i in range(7)]
    assert first.remaining == 4


def test_expired_continue_token_is_gone() -> None:
    store = Store()
    for i in range(4):
        store.put(PODS, _pod("a", f"p{i}"))
    first = store.list_page(
        PODS, namespace=None, match=None, limit=2, continue_token=None, selector_key=""
    )
    store.expire_continue_tokens()
    with pytest.raises(Expired, match="continue parameter is too old"):
        store.list_page(
            PODS,
            namespace=None,
            match=None,
            limit=2,
            continue_token=first.continue_token,
            selector_key="",
        )


def test_watchers_are_sent_the_events_of_their_type_only() -> None:
    store = Store()
    pods: asyncio.Queue[object] = asyncio.Queue()
    namespaces: asyncio.Queue[object] = asyncio.Queue()
    store.watchers.update({pods: PODS, namespaces: NAMESPACES})
    store.put(PODS, _pod("a", "p1"))
    store.put(NAMESPACES, {"metadata": {"name": "a"}})
    store.broadcast("wake")  # signals (faults to act on) still reach every watcher
    assert [e.obj["metadata"]["name"] for e in _drain(pods)[:-1]] == ["p1"]
    assert [e.obj["metadata"]["name"] for e in _drain(namespaces)[:-1]] == ["a"]


def _drain(queue: asyncio.Queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
