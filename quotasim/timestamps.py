"""Timestamps as the API writes them (RFC 3339, whole seconds, UTC)."""

from __future__ import annotations

import time


def api_time(seconds: float) -> str:
    """`seconds` since the epoch as metadata.creationTimestamp and Events write it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
