"""What the request handlers are given: the cluster, the pending faults and the
bookmark interval, rather than the server that owns them."""

from __future__ import annotations

from dataclasses import dataclass

from quotasim.cluster import Cluster
from quotasim.faults import Faults


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The state one simulated API server serves requests from."""

    cluster: Cluster
    faults: Faults
    bookmark_seconds: float
