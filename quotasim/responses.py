"""What the handlers send: JSON bodies, metav1.Status failures, objects with their kind."""

from __future__ import annotations

import json

import orjson
from aiohttp import web

from quotasim.apierrors import SimError
from quotasim.faults import Fault
from quotasim.resources import ResourceType

JSON = "application/json"
_FAULT_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status failure body."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def json_response(body: object, status: int = 200, headers: dict | None = None) -> web.Response:
    """A JSON response encoded with orjson."""
    return web.Response(body=encode(body), status=status, content_type=JSON, headers=headers)


def encode(body: object) -> bytes:
    """JSON bytes; integers past 64 bits (hostile manifests carry them) go through json."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, separators=(",", ":")).encode()


def error_response(error: SimError) -> web.Response:
    """The Status response for an API error."""
    body = status_body(error.code, error.reason, error.message, error.details)
    return json_response(body, error.code)


def with_kind(rtype: ResourceType, obj: dict) -> dict:
    """A stored object as served on its own: with apiVersion and kind."""
    return {"apiVersion": rtype.api_version, "kind": rtype.kind, **obj}


def fault_response(fault: Fault) -> web.Response:
    """The response an injected HTTP fault stands for, with Retry-After when it has one."""
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    reason = _FAULT_REASONS.get(fault.status, "InternalError")
    message = (
        "Too many requests, please try again later."
        if fault.status == 429
        else "too old resource version"
        if fault.status == 410
        else 'an error on the server ("injected fault") has prevented the request from succeeding'
    )
    return json_response(status_body(fault.status, reason, message), fault.status, headers)
