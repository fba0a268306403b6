"""One paginated LIST: pages of raw objects, so nobody holds a 100k-pod list at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from exporter.errors import ServerError
from exporter.kube.client import KubeClient
from exporter.kube.resources import Resource
from exporter.model.bodies import WatchedObject

DEFAULT_PAGE_SIZE = 500  # what kubectl and client-go informers ask for


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a LIST, and the resourceVersion the whole list is consistent at."""

    items: list[WatchedObject]
    resource_version: str
    last: bool


async def list_pages(
    client: KubeClient, resource: Resource, *, page_size: int = DEFAULT_PAGE_SIZE
) -> AsyncGenerator[Page, None]:
    """Follow `continue` tokens page by page; Gone when a token expires (relist then).

    The next page is requested before a page is handed out, so the server prepares it
    while the caller digests this one; at most two pages are held at a time. The
    `resource_version` of the last page is where a WATCH picks up from."""
    ahead: asyncio.Task[dict[str, object]] | None = None
    try:
        body = await _get_page(client, resource, page_size, token="")
        while True:
            page, token = _page(client, resource, body)
            if token:
                ahead = asyncio.create_task(_get_page(client, resource, page_size, token=token))
                # One turn of the loop sends the request, and lets other tasks run
                # between pages, however long the caller then spends on this one.
                await asyncio.sleep(0)
            yield page
            if ahead is None:
                return
            body, ahead = await ahead, None
    finally:
        if ahead is not None:  # the caller stopped early: drop the page asked for
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)


async def _get_page(
    client: KubeClient, resource: Resource, page_size: int, *, token: str
) -> dict[str, object]:
    params = {**resource.params, "limit": str(page_size)}
    if token:
        params["continue"] = token
    return await client.get_json(resource.path, params, kind=resource.kind)


def _page(client: KubeClient, resource: Resource, body: dict[str, object]) -> tuple[Page, str]:
    meta = body.get("metadata")
    items = body.get("items")
    if items is None:
        items = []  # the API server sends "items": null for an empty list
    if not isinstance(meta, dict) or not isinstance(items, list):
        raise client.fail(resource.kind, ServerError(f"LIST {resource.path}: not a list body"))
    rv = meta.get("resourceVersion")
    if not rv:
        # Without it the following WATCH would replay everything as ADDED.
        raise client.fail(resource.kind, ServerError(f"LIST {resource.path}: no resourceVersion"))
    token = str(meta.get("continue") or "")
    return Page(items, str(rv), last=not token), token
