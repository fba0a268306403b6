"""What the request handlers are given: the cluster, the pending faults and the
bookmark interval, rather than the server that owns them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from quotasim.cluster import Cluster
from quotasim.faults import Faults


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The state one simulated API server serves requests from."""

    cluster: Cluster
    faults: Faults
    bookmark_seconds: float
    # The tasks serving open watch streams: the server ends them when it stops, since
    # aiohttp's shutdown only waits for handlers and a watch never finishes by itself.
    streams: set[asyncio.Task[Any]] = field(default_factory=set)
