"""One paginated LIST: pages of raw objects, so nobody holds a 100k-pod list at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from exporter.errors import ServerError
from exporter.kube.client import KubeClient
from exporter.kube.resources import Resource

DEFAULT_PAGE_SIZE = 500  # what kubectl and client-go informers ask for


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a LIST, and the resourceVersion the whole list is consistent at."""

    items: list[dict]
    resource_version: str
    last: bool


async def list_pages(
    client: KubeClient, resource: Resource, *, page_size: int = DEFAULT_PAGE_SIZE
) -> AsyncIterator[Page]:
    """Follow `continue` tokens page by page; Gone when a token expires (relist then).

    The `resource_version` of the last page is where a WATCH picks up from."""
    token = ""
    while True:
        params = {**resource.params, "limit": str(page_size)}
        if token:
            params["continue"] = token
        page, token = _page(
            client, resource, await client.get_json(resource.path, params, kind=resource.kind)
        )
        yield page
        if page.last:
            return


def _page(client: KubeClient, resource: Resource, body: dict) -> tuple[Page, str]:
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
