"""The one error hierarchy of quotameter.

Errors are typed where they are raised and mapped at one boundary: HTTP and
Kubernetes Status bodies become `KubeAPIError` subclasses in `exporter.kube`,
bad settings become `ConfigError` in `exporter.settings`.
"""

from __future__ import annotations


class QuotameterError(Exception):
    """Base of every error quotameter raises on purpose."""


class ConfigError(QuotameterError):
    """A setting or the pricing file is invalid; `field` and `value` name the culprit."""

    def __init__(self, message: str, *, field: str = "", value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class LedgerError(QuotameterError):
    """The cost ledger cannot be opened, read or written."""


class LedgerInUse(LedgerError):
    """Another process writes this ledger (it holds the lock); `holder` says who."""

    def __init__(self, message: str, *, holder: str = "") -> None:
        super().__init__(message)
        self.holder = holder


class LedgerReadOnly(LedgerError):
    """The ledger must be written but lies on a read-only filesystem."""


class KubeAPIError(QuotameterError):
    """The Kubernetes API answered with an error status or an unusable body."""

    def __init__(self, message: str, *, code: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class Gone(KubeAPIError):
    """410: the resourceVersion or continue token is too old; relist."""


class TooManyRequests(KubeAPIError):
    """429: throttled; `retry_after` seconds come from the Retry-After header."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, code=429, reason="TooManyRequests")
        self.retry_after = retry_after


class Unauthorized(KubeAPIError):
    """401/403: credentials missing, expired or lacking RBAC."""


class NotFound(KubeAPIError):
    """404: the resource or API group is not served (e.g. no metrics-server)."""


class ServerError(KubeAPIError):
    """5xx or a broken connection: retry with backoff."""


class StreamError(KubeAPIError):
    """A watch stream broke mid-way: a garbage line, a dropped connection, a stall."""
