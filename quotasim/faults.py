"""Faults the simulated API injects on demand, from Python or POST /sim/faults."""

from __future__ import annotations

from dataclasses import dataclass

STREAM_FAULTS = ("drop", "gone", "garbage", "stall", "flood")
HTTP_FAULTS = ("http", "flood-body")
FLOOD_LIMIT = 1 << 30  # bytes a flood sends at most, should the client never give up
KINDS = (*STREAM_FAULTS, *HTTP_FAULTS, "expire-continue")


@dataclass
class Fault:
    """One pending fault; `resource` None means any resource."""

    # drop | gone | garbage | stall | http | expire-continue; flood: a watch line that
    # never ends; flood-body: a response body (a LIST, say) that never ends
    kind: str
    resource: str | None = None  # plural, e.g. "pods"
    group: str | None = None  # API group; None matches any, "" is the core group
    count: int = 1
    status: int = 500  # for http
    retry_after: int | None = None  # seconds, for http 429
    seconds: float = 0.0  # for stall: how long before the connection is closed


class FaultError(ValueError):
    """A fault request that cannot be understood."""


class Faults:
    """The queue of pending faults, consumed by requests and watch streams."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault; it fires on the next matching request or stream."""
        if fault.kind not in KINDS:
            raise FaultError(f"unknown fault kind {fault.kind!r}; expected one of {KINDS}")
        if fault.count < 1:
            raise FaultError("count must be at least 1")
        self.pending.append(fault)

    def take(self, kinds: tuple[str, ...], resource: str, group: str = "") -> Fault | None:
        """Consume one occurrence of the first pending fault of these kinds for a resource."""
        for fault in self.pending:
            if (
                fault.kind in kinds
                and fault.resource in (None, resource)
                and fault.group in (None, group)
            ):
                fault.count -= 1
                if fault.count == 0:
                    self.pending.remove(fault)
                return fault
        return None

    @staticmethod
    def from_json(data: object) -> Fault:
        """Build a Fault from the JSON body of POST /sim/faults."""
        if not isinstance(data, dict) or "kind" not in data:
            raise FaultError('body must be an object with at least "kind"')
        allowed = set(Fault.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise FaultError(f"unknown fault fields: {sorted(unknown)}")
        try:
            return Fault(**data)
        except TypeError as e:
            raise FaultError(str(e)) from e
