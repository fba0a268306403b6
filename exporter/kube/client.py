"""A small async client for the Kubernetes API: one aiohttp session, JSON GETs and
line-delimited streams, and the one place where HTTP failures become typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeVar

import aiohttp
import orjson

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
from exporter.model.health import InformerHealth

Params = Mapping[str, str] | None

E = TypeVar("E", bound=KubeAPIError)

_ERROR_BODY_LIMIT = 64 * 1024  # a Status body is small; an HTML error page need not be read whole
_USER_AGENT = f"quotameter/{__version__}"


def error_for_status(
    code: int, status: Mapping[str, Any], *, retry_after: float | None = None
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
        connect_timeout: float = 10.0,
        request_timeout: float = 60.0,
        max_connections: int = 32,
    ) -> None:
        self.config = config
        self.health = health if health is not None else InformerHealth()
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._max_connections = max_connections
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

    async def get_json(self, path: str, params: Params = None, *, kind: str = "other") -> dict:
        """GET a path and decode the JSON object it returns; `kind` labels error counts."""
        timeout = aiohttp.ClientTimeout(
            total=self._request_timeout, sock_connect=self._connect_timeout
        )
        response = await self._send(path, params, kind=kind, client_timeout=timeout)
        try:
            body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as e:
            raise self.fail(kind, ServerError(f"GET {path}: body not read: {e!r}")) from e
        finally:
            response.release()
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            raise self.fail(kind, ServerError(f"GET {path}: body is not JSON: {e}")) from e
        if not isinstance(data, dict):
            raise self.fail(kind, ServerError(f"GET {path}: body is not a JSON object"))
        return data

    async def stream_lines(
        self, path: str, params: Params = None, *, inactivity_timeout: float, kind: str = "other"
    ) -> AsyncIterator[bytes]:
        """GET a streaming path and yield its non-empty lines, of any length, without the
        newline. StreamError when it breaks, ends mid-line or sends nothing for a while."""
        # No total timeout: a watch lasts as long as the server keeps it open.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout)
        response = await self._send(path, params, kind=kind, client_timeout=timeout)
        clean = False
        try:
            lines = LineBuffer()
            while chunk := await self._read_chunk(response, inactivity_timeout, kind=kind):
                for line in lines.feed(chunk):
                    yield line
            if lines.pending:
                raise self.fail(kind, StreamError(f"GET {path}: stream ended mid-line"))
            clean = True
        finally:
            if clean:
                response.release()  # read to the end: the connection can be reused
            else:
                response.close()  # half-read: the connection is unusable

    def status_error(self, status: Mapping[str, Any], *, kind: str) -> KubeAPIError:
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
                limit=self._max_connections,
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
        try:
            return await self._open_session().get(
                self.config.server + path,
                params=dict(params) if params else None,
                headers=headers,
                timeout=client_timeout,
                proxy=self.config.proxy,
                **extra,
            )
        except (aiohttp.ClientError, TimeoutError) as e:
            raise self.fail(kind, ServerError(f"GET {path}: {e!r}", reason="Connection")) from e

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


class LineBuffer:
    """Splits a byte stream into lines of any length (aiohttp's readline stops at 64 KiB)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add a chunk; return the non-blank lines it completes, stripped."""
        scan_from = len(self._buffer)  # the kept tail has no newline: search only new bytes
        self._buffer += chunk
        lines, start = [], 0
        while (end := self._buffer.find(b"\n", scan_from)) >= 0:
            line = bytes(self._buffer[start:end]).strip()
            if line:
                lines.append(line)
            start = scan_from = end + 1
        del self._buffer[:start]
        return lines

    @property
    def pending(self) -> bool:
        """Whether a partial line is waiting for its newline."""
        return bool(self._buffer.strip())


async def _response_error(response: aiohttp.ClientResponse) -> KubeAPIError:
    """The typed error for a failed response, from its status, Status body and headers."""
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
