"""Connection settings: kubeconfig or in-cluster service account, through `kubernetes`.

The official package parses kubeconfig files, runs exec plugins, decodes CA and client
certificate data and reads the service-account token; we keep only its result (server
URL, TLS material, an Authorization header) and send requests with aiohttp ourselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes.client import Configuration
from kubernetes.config import ConfigException, incluster_config, kube_config

from exporter.errors import ConfigError

Loader = Callable[[Configuration], None]  # fills a fresh Configuration (may block)

TOKEN_CHECK_SECONDS = 60.0


class Credentials:
    """The current Authorization header of one identity, kept fresh.

    Every `check_every` seconds the library's refresh hook runs in a thread: it re-reads
    a rotated service-account token file, or re-runs an exec plugin whose credential
    expired. On a 401 the whole loader runs again (`reload`), whatever the timers say.
    """

    def __init__(
        self,
        load: Loader,
        *,
        check_every: float = TOKEN_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._check_every = check_every
        self._clock = clock
        self._cfg = _configure(load)
        self._checked_at = clock()
        self._lock = asyncio.Lock()
        self.ssl_context: ssl.SSLContext | None = None  # set by ApiConfig for cert rotation

    @property
    def configuration(self) -> Configuration:
        """The `kubernetes` Configuration last loaded (holds secrets: never log it)."""
        return self._cfg

    async def headers(self) -> dict[str, str]:
        """The auth headers to send now; refreshed in a thread when the check is due."""
        hook = self._cfg.refresh_api_key_hook
        if hook is not None and self._clock() - self._checked_at >= self._check_every:
            self._checked_at = self._clock()  # first caller checks; the others go on
            await asyncio.to_thread(hook, self._cfg)
        return _auth_headers(self._cfg)

    async def reload(self, stale: Mapping[str, str]) -> None:
        """Run the loader again after `stale` headers got a 401 (once for many callers)."""
        async with self._lock:
            if _auth_headers(self._cfg) != dict(stale):
                return  # another request already reloaded while this one waited
            cfg = await asyncio.to_thread(_configure, self._load)
            self._cfg, self._checked_at = cfg, self._clock()
            if self.ssl_context is not None and cfg.cert_file:
                # Exec plugins may hand out short-lived client certificates too.
                self.ssl_context.load_cert_chain(cfg.cert_file, cfg.key_file)

    def __repr__(self) -> str:
        kind = "token" if _auth_headers(self._cfg) else "none"
        return f"Credentials(auth={kind}, value=<hidden>)"


@dataclass(frozen=True, slots=True, repr=False)
class ApiConfig:
    """Where the API server is, how to reach it (TLS, proxy) and who we are."""

    server: str  # e.g. https://10.0.0.1:443, without a trailing slash
    ssl_context: ssl.SSLContext | None  # None for plain http
    credentials: Credentials
    tls_server_name: str | None = None
    proxy: str | None = None

    async def auth_headers(self) -> dict[str, str]:
        """The Authorization header (if any) to send with the next request."""
        return await self.credentials.headers()

    async def refresh_auth(self, stale: Mapping[str, str]) -> None:
        """Reload credentials after `stale` headers were refused with 401."""
        await self.credentials.reload(stale)

    def __repr__(self) -> str:
        tls = "none" if self.ssl_context is None else _verify_mode(self.ssl_context)
        return f"ApiConfig(server={self.server!r}, tls={tls}, credentials={self.credentials!r})"


def load_config(*, kubeconfig: str | Path | None = None, context: str | None = None) -> ApiConfig:
    """Connection settings: the kubeconfig given, else $KUBECONFIG or ~/.kube/config when
    present, else the in-cluster service account. Blocks (exec plugins): call at startup."""
    if kubeconfig is not None or _default_kubeconfig_exists():
        return load_kubeconfig(kubeconfig, context=context)
    return load_incluster()


def load_kubeconfig(path: str | Path | None, *, context: str | None = None) -> ApiConfig:
    """Settings from a kubeconfig file (None: $KUBECONFIG or ~/.kube/config) and context."""
    config_file = str(path) if path is not None else None

    def load(cfg: Configuration) -> None:
        # kubernetes.config has no annotations (only kubernetes.client is typed)
        kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config_file, context=context, client_configuration=cfg,
            persist_config=False,
        )  # fmt: skip

    return _api_config(load, field="kubeconfig", value=config_file)


def load_incluster(
    *,
    token_path: str | Path = incluster_config.SERVICE_TOKEN_FILENAME,
    ca_path: str | Path = incluster_config.SERVICE_CERT_FILENAME,
    environ: Mapping[str, str] | None = None,
) -> ApiConfig:
    """Settings from the pod's service account; the token file is re-read as it rotates."""

    def load(cfg: Configuration) -> None:
        # kubernetes.config has no annotations, as above
        loader = incluster_config.InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=str(token_path), cert_filename=str(ca_path),
            environ=os.environ if environ is None else environ,
        )  # fmt: skip
        loader.load_and_set(cfg)  # type: ignore[no-untyped-call]  # likewise untyped

    return _api_config(load, field="in-cluster", value=str(token_path))


def static_config(
    server: str, *, token: str | None = None, ssl_context: ssl.SSLContext | None = None
) -> ApiConfig:
    """Settings without a kubeconfig: a URL and an optional bearer token (tests, tools)."""

    def load(cfg: Configuration) -> None:
        cfg.host = server.rstrip("/")
        if token:
            cfg.api_key["BearerToken"] = f"Bearer {token}"

    credentials = Credentials(load)
    return ApiConfig(str(credentials.configuration.host), ssl_context, credentials)


# What the kubernetes package raises for a file that is YAML but not a kubeconfig (a
# string, a list): it indexes into it as if it were one.
_MALFORMED_CONFIG = (ConfigException, OSError, KeyError, ValueError, TypeError, AttributeError,
                     yaml.YAMLError)  # fmt: skip


def _api_config(load: Loader, *, field: str, value: object) -> ApiConfig:
    try:
        with _library_errors() as logged:
            credentials = Credentials(load)
    except _MALFORMED_CONFIG as e:
        raise ConfigError(
            f"cannot load {field} configuration: {e}", field=field, value=value
        ) from e
    cfg = credentials.configuration
    if logged and not (_auth_headers(cfg) or cfg.cert_file):
        # The package logs a failed exec credential plugin and carries on without
        # credentials; every request would then be refused, so refuse to start.
        raise ConfigError(
            f"cannot get credentials from {field}: {logged[0]}", field=field, value=value
        )
    try:
        context = _ssl_context(cfg)
    except (ssl.SSLError, OSError) as e:
        raise ConfigError(f"bad TLS material in {field}: {e}", field=field, value=value) from e
    credentials.ssl_context = context
    return ApiConfig(
        server=str(cfg.host).rstrip("/"),
        ssl_context=context,
        credentials=credentials,
        tls_server_name=getattr(cfg, "tls_server_name", None) or None,
        proxy=cfg.proxy or None,
    )


@contextlib.contextmanager
def _library_errors() -> Iterator[list[str]]:
    """The messages of the ERROR records the kubernetes package logs (rather than
    raises) in this thread while the block runs."""
    messages: list[str] = []
    handler = _Collect(messages)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield messages
    finally:
        root.removeHandler(handler)


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.messages = messages
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self.messages.append(" ".join(record.getMessage().split()))


def _configure(load: Loader) -> Configuration:
    cfg = Configuration()
    load(cfg)
    return cfg


def _auth_headers(cfg: Configuration) -> dict[str, str]:
    # The loaders store the complete header value ("Bearer x", "bearer x", "Basic x").
    value = cfg.api_key.get("BearerToken") or cfg.api_key.get("authorization")
    return {"Authorization": value} if value else {}


def _ssl_context(cfg: Configuration) -> ssl.SSLContext | None:
    if not str(cfg.host).startswith("https://"):
        return None
    context = ssl.create_default_context(cafile=cfg.ssl_ca_cert or None)
    if cfg.cert_file:
        context.load_cert_chain(cfg.cert_file, cfg.key_file)
    if not cfg.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _verify_mode(context: ssl.SSLContext) -> str:
    return "insecure" if context.verify_mode == ssl.CERT_NONE else "verified"


def _default_kubeconfig_exists() -> bool:
    paths = kube_config.KUBE_CONFIG_DEFAULT_LOCATION.split(os.pathsep)
    return any(Path(p).expanduser().is_file() for p in paths if p)
