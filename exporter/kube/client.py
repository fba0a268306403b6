"""A small async client for the Kubernetes API: one aiohttp session, JSON GETs and
line-delimited streams, and the one place where HTTP failures become typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import orjson
import structlog

from exporter import __version__
from exporter.errors import (
    Gone,
    KubeAPIError,
    NotFound,
    ServerError,
    StreamError,
    TooManyRequests,
    Unauthorized,
)
from exporter.kube.config import ApiConfig
from exporter.logconfig import Log
from exporter.model.bodies import Status
from exporter.model.health import InformerHealth

Params = Mapping[str, str] | None

E = TypeVar("E", bound=KubeAPIError)

_ERROR_BODY_LIMIT = 64 * 1024  # a Status body is small; an HTML error page need not be read whole
MiB = 1024 * 1024
# etcd keeps objects up to 1.5 MiB and the API server accepts requests up to 3 MiB; as
# JSON with managedFields a watch event can be a few times that. A LIST page of 500
# such objects is far beyond anything real, but a page of big ConfigMap-like pods is not.
DEFAULT_MAX_LINE_BYTES = 64 * MiB
DEFAULT_MAX_BODY_BYTES = 512 * MiB
_USER_AGENT = f"quotameter/{__version__}"


def error_for_status(
    code: int, status: Mapping[str, object], *, retry_after: float | None = None
) -> KubeAPIError:
    """The typed error for an HTTP status (or an in-stream ERROR) and its Status body."""
    message = str(status.get("message") or f"HTTP {code}")
    reason = str(status.get("reason") or "")
    if code == 410:
        return Gone(message, code=code, reason=reason or "Expired")
    if code == 429:
        return TooManyRequests(message, retry_after=retry_after)
    if code in (401, 403):
        return Unauthorized(message, code=code, reason=reason)
    if code == 404:
        return NotFound(message, code=code, reason=reason)
    if code >= 500:
        return ServerError(message, code=code, reason=reason)
    return KubeAPIError(message, code=code, reason=reason)


def error_label(error: KubeAPIError) -> str:
    """The `code` label of quotameter_api_errors_total for an error."""
    if error.code:
        return str(error.code)
    return "stream" if isinstance(error, StreamError) else "connection"


class KubeClient:
    """GET JSON and stream lines from the API server over one pooled aiohttp session."""

    def __init__(
        self,
        config: ApiConfig,
        *,
        health: InformerHealth | None = None,
        limits: ClientLimits | None = None,
        log: Log | None = None,
    ) -> None:
        self.config = config
        self.health = health if health is not None else InformerHealth()
        self.limits = limits or ClientLimits()
        self.log: Log = log if log is not None else structlog.get_logger("quotameter.kube")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> KubeClient:
        self._open_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get_json(
        self, path: str, params: Params = None, *, kind: str = "other"
    ) -> dict[str, object]:
        """GET a path and decode the JSON object it returns; `kind` labels error counts."""
        limits = self.limits
        timeout = aiohttp.ClientTimeout(
            total=limits.request_timeout, sock_connect=limits.connect_timeout
        )
        response = await self._send(path, params, kind=kind, client_timeout=timeout)
        body = b""
        try:
            body = await self._read_body(response, path, kind=kind)
        except (aiohttp.ClientError, TimeoutError) as e:
            raise self.fail(kind, ServerError(f"GET {path}: body not read: {e!r}")) from e
        finally:
            if body:
                response.release()
            else:
                response.close()  # a body cut short leaves the connection unusable
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise self.fail(kind, ServerError(f"GET {path}: body is not JSON: {e}")) from e
        if not isinstance(data, dict):
            raise self.fail(kind, ServerError(f"GET {path}: body is not a JSON object"))
        return data

    async def stream_lines(
        self, path: str, params: Params = None, *, inactivity_timeout: float, kind: str = "other"
    ) -> AsyncGenerator[bytes, None]:
        """GET a streaming path and yield its non-empty lines, of any length, without the
        newline. StreamError when it breaks, ends mid-line or sends nothing for a while."""
        # No total timeout: a watch lasts as long as the server keeps it open.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.limits.connect_timeout)
        response = await self._send(path, params, kind=kind, client_timeout=timeout)
        clean = False
        try:
            lines = LineBuffer(max_line=self.limits.max_line_bytes)
            while chunk := await self._read_chunk(response, inactivity_timeout, kind=kind):
                try:
                    completed = lines.feed(chunk)
                except LineTooLong as e:
                    raise self.fail(kind, StreamError(f"GET {path}: {e}", reason="TooLarge")) from e
                for line in completed:
                    yield line
            if lines.pending:
                raise self.fail(kind, StreamError(f"GET {path}: stream ended mid-line"))
            clean = True
        finally:
            if clean:
                response.release()  # read to the end: the connection can be reused
            else:
                response.close()  # half-read: the connection is unusable

    def status_error(self, status: Mapping[str, object], *, kind: str) -> KubeAPIError:
        """Map an in-stream ERROR event's Status object, counting it like an HTTP error."""
        code = status.get("code")
        error = error_for_status(code if isinstance(code, int) else 500, status)
        return self.fail(kind, error)

    def fail(self, kind: str, error: E) -> E:
        """Count an error against a kind and hand it back for raising."""
        self.health.record_api_error(kind, error_label(error))
        return error

    # -- internals --------------------------------------------------------------------------

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            ssl_context = self.config.ssl_context
            connector = aiohttp.TCPConnector(
                limit=self.limits.max_connections,
                ssl=ssl_context if ssl_context is not None else True,
                keepalive_timeout=30,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"Accept": "application/json", "User-Agent": _USER_AGENT},
            )
        return self._session

    async def _send(
        self, path: str, params: Params, *, kind: str, client_timeout: aiohttp.ClientTimeout
    ) -> aiohttp.ClientResponse:
        """A response with a 2xx/3xx status; on 401 reload credentials and try once more."""
        headers = await self.config.auth_headers()
        response = await self._get(
            path, params, headers=headers, kind=kind, client_timeout=client_timeout
        )
        if response.status == 401:
            response.release()
            await self.config.refresh_auth(headers)
            headers = await self.config.auth_headers()
            response = await self._get(
                path, params, headers=headers, kind=kind, client_timeout=client_timeout
            )
        if response.status >= 400:
            try:
                raise self.fail(kind, await _response_error(response))
            finally:
                response.release()
        return response

    async def _get(
        self,
        path: str,
        params: Params,
        *,
        headers: Mapping[str, str],
        kind: str,
        client_timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        extra: dict[str, Any] = {}
        if self.config.tls_server_name:
            extra["server_hostname"] = self.config.tls_server_name
        limits = self.limits
        try:
            # The headers must come within connect + first-byte time: a server that
            # accepts the connection and never answers must not hold an informer.
            async with asyncio.timeout(limits.connect_timeout + limits.first_byte_timeout):
                return await self._open_session().get(
                    self.config.server + path,
                    params=dict(params) if params else None,
                    headers=headers,
                    timeout=client_timeout,
                    proxy=self.config.proxy,
                    **extra,
                )
        except aiohttp.ConnectionTimeoutError as e:
            raise self._timed_out(kind, path, phase="connect", after=limits.connect_timeout) from e
        except TimeoutError as e:
            after = limits.connect_timeout + limits.first_byte_timeout
            raise self._timed_out(kind, path, phase="first_byte", after=after) from e
        except aiohttp.ClientError as e:
            raise self.fail(kind, ServerError(f"GET {path}: {e!r}", reason="Connection")) from e

    def _timed_out(self, kind: str, path: str, *, phase: str, after: float) -> ServerError:
        self.log.warning("api.timeout", kind=kind, path=path, phase=phase, after_seconds=after,
                         server=self.config.server)  # fmt: skip
        message = f"GET {path}: no {phase.replace('_', ' ')} within {after:g} s"
        return self.fail(kind, ServerError(message, reason="Timeout"))

    async def _read_body(self, response: aiohttp.ClientResponse, path: str, *, kind: str) -> bytes:
        """The whole body, refused past ``max_body_bytes`` (an endless body must not
        take the process's memory with it)."""
        limit = self.limits.max_body_bytes
        if (response.content_length or 0) > limit:
            raise self._too_large(kind, path, limit)
        body = bytearray()
        while chunk := await response.content.readany():
            body += chunk
            if len(body) > limit:
                raise self._too_large(kind, path, limit)
        return bytes(body)

    def _too_large(self, kind: str, path: str, limit: int) -> ServerError:
        self.log.warning("api.body_too_large", kind=kind, path=path, limit_bytes=limit)
        message = f"GET {path}: body over {limit} bytes (QUOTAMETER_MAX_LIST_BODY_BYTES)"
        return self.fail(kind, ServerError(message, reason="TooLarge"))

    async def _read_chunk(
        self, response: aiohttp.ClientResponse, inactivity_timeout: float, *, kind: str
    ) -> bytes:
        try:
            async with asyncio.timeout(inactivity_timeout):
                return await response.content.readany()
        except TimeoutError as e:
            message = f"no bytes for {inactivity_timeout:g} s"
            raise self.fail(kind, StreamError(message, reason="Stalled")) from e
        except aiohttp.ClientError as e:
            raise self.fail(kind, StreamError(f"stream broke: {e!r}", reason="Broken")) from e


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """Bounds of every request: timeouts, and how much a response may make us hold."""

    connect_timeout: float = 10.0  # TCP (and TLS) connect
    first_byte_timeout: float = 10.0  # after connecting, until the response headers
    request_timeout: float = 60.0  # a whole non-streaming GET
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES  # one watch event
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # one LIST page (or any JSON body)
    max_connections: int = 32


class LineTooLong(ValueError):
    """A line grew past the buffer's limit without a newline."""


class LineBuffer:
    """Splits a byte stream into lines of any length up to ``max_line`` bytes (aiohttp's
    readline stops at 64 KiB; a stream without newlines must not grow without bound)."""

    def __init__(self, *, max_line: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._buffer = bytearray()
        self._max_line = max_line

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add a chunk; return the non-blank lines it completes, stripped. LineTooLong
        when the unfinished line passes the limit."""
        scan_from = len(self._buffer)  # the kept tail has no newline: search only new bytes
        self._buffer += chunk
        lines, start = [], 0
        while (end := self._buffer.find(b"\n", scan_from)) >= 0:
            line = bytes(self._buffer[start:end]).strip()
            if line:
                lines.append(line)
            start = scan_from = end + 1
        del self._buffer[:start]
        if len(self._buffer) > self._max_line:
            limit = self._max_line
            raise LineTooLong(f"a line over {limit} bytes (QUOTAMETER_MAX_WATCH_LINE_BYTES)")
        return lines

    @property
    def pending(self) -> bool:
        """Whether a partial line is waiting for its newline."""
        return bool(self._buffer.strip())


async def _response_error(response: aiohttp.ClientResponse) -> KubeAPIError:
    """The typed error for a failed response, from its status, Status body and headers."""
    status: Status
    try:
        raw = await response.content.read(_ERROR_BODY_LIMIT)
        status = orjson.loads(raw)
    except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError):
        status = {}
    if not isinstance(status, dict):
        status = {}
    status.setdefault("message", f"{response.method} {response.url.path}: HTTP {response.status}")
    retry_after = _retry_after(response.headers.get("Retry-After"))
    return error_for_status(response.status, status, retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
