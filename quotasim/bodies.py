"""Request bodies decoded as the API server decodes them: objects, patches, media types."""

from __future__ import annotations

import orjson
import yaml
from aiohttp import web

from quotasim.apierrors import SimError
from quotasim.patch import SUPPORTED


def patch_type(request: web.Request) -> str:
    """The request's patch media type; 415 for one the server does not take."""
    if request.content_type not in SUPPORTED:
        raise SimError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types "
            f"include: {', '.join(SUPPORTED)}",
        )
    return request.content_type


async def read_json(request: web.Request) -> object:
    """A JSON body of any shape (a PATCH); 400 when it is not JSON."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError as e:
        raise SimError(400, "BadRequest", f"the body could not be decoded: {e}") from e


async def read_body(request: web.Request) -> dict:
    """A JSON or YAML object body; 400 for anything else."""
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw.lstrip()[:1] in (b"{", b"[") else yaml.safe_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise SimError(400, "BadRequest", f"the body could not be decoded: {e}") from e
    if not isinstance(body, dict):
        raise SimError(400, "BadRequest", "the body must be a JSON object")
    return body
