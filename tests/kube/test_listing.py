"""Paginated LIST against the simulated API."""

from __future__ import annotations

from contextlib import aclosing

import pytest

from exporter.errors import Gone
from exporter.kube.client import KubeClient, Params
from exporter.kube.listing import Page, list_pages
from exporter.kube.resources import RESOURCES
from exporter.model.health import InformerHealth
from quotasim.cluster import POD
from quotasim.faults import Fault
from quotasim.server import SimServer

from .helpers import make_pod, truth


async def collect(client: KubeClient, kind: str, page_size: int) -> list[Page]:
    async with aclosing(list_pages(client, RESOURCES[kind], page_size=page_size)) as pages:
        return [page async for page in pages]


async def test_pages_return_every_object_once(client: KubeClient, sim: SimServer) -> None:
    for i in range(5):
        sim.cluster.create(POD, make_pod(f"extra-{i}"), namespace="staging")
    pages = await collect(client, "pods", page_size=2)
    uids = [o["metadata"]["uid"] for page in pages for o in page.items]
    assert len(uids) == len(set(uids))
    assert set(uids) == set(truth(sim))
    assert len(pages) == -(-len(uids) // 2)
    assert [len(p.items) for p in pages[:-1]] == [2] * (len(pages) - 1)
    assert [p.last for p in pages] == [False] * (len(pages) - 1) + [True]
    # Every page of one consistent list carries the same resourceVersion: the snapshot's.
    assert {p.resource_version for p in pages} == {str(sim.cluster.store.rv)}


async def test_writes_during_a_paginated_list_do_not_show(
    client: KubeClient, sim: SimServer
) -> None:
    before = truth(sim)
    pages = list_pages(client, RESOURCES["pods"], page_size=2)
    async with aclosing(pages):
        first = await anext(pages)
        sim.cluster.create(POD, make_pod("late"), namespace="dev")
        rest = [page async for page in pages]
    uids = {o["metadata"]["uid"] for page in [first, *rest] for o in page.items}
    assert uids == set(before)


async def test_field_selector_is_sent(client: KubeClient, sim: SimServer) -> None:
    pages = await collect(client, "events", page_size=50)
    assert all(o.get("reason") == "FailedCreate" for p in pages for o in p.items)


async def test_expired_continue_token_is_gone(
    client: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    pages = list_pages(client, RESOURCES["pods"], page_size=2)
    async with aclosing(pages):
        await anext(pages)
        sim.inject(Fault(kind="expire-continue"))
        with pytest.raises(Gone) as caught:
            await anext(pages)
    assert caught.value.code == 410
    assert "continue" in str(caught.value)
    assert health.api_errors_total == {("pods", "410"): 1}


class CountingClient(KubeClient):
    """A client that counts the GETs it starts."""

    gets = 0

    async def get_json(self, path: str, params: Params = None, *, kind: str = "other") -> dict:
        self.gets += 1
        return await super().get_json(path, params, kind=kind)


async def test_the_next_page_is_asked_for_while_the_caller_holds_one(
    client: KubeClient, sim: SimServer
) -> None:
    counting = CountingClient(client.config, health=client.health)
    pages = list_pages(counting, RESOURCES["pods"], page_size=2)
    async with counting, aclosing(pages):
        first = await anext(pages)
        assert not first.last
        assert counting.gets == 2  # asked for before the caller is done with the first
        rest = [page async for page in pages]
    assert counting.gets == 1 + len(rest)
    uids = {o["metadata"]["uid"] for page in [first, *rest] for o in page.items}
    assert uids == set(truth(sim))


async def test_stopping_early_leaves_no_request_behind(
    client: KubeClient, sim: SimServer, health: InformerHealth
) -> None:
    pages = list_pages(client, RESOURCES["pods"], page_size=2)
    async with aclosing(pages):
        await anext(pages)
    # The page asked for in advance is cancelled: no task is left (see conftest) and
    # nothing counts as an API error.
    assert health.api_errors_total == {}
