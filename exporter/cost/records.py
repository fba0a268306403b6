"""The data that crosses between the integrator, the ledger and chargeback.

An *owner* is what cost is attributed to: a namespace and the team it belongs
to, refined for pods synced by a vcluster into that vcluster and its virtual
namespace. The SPEC's "namespace x resource" ledger row is one owner x resource
row, split further only where vcluster pods (or a team label on them) differ.
"""

from __future__ import annotations

from dataclasses import dataclass

# Resources cost is computed for; GPUs are priced by extended-resource name,
# but ledger rows use these four names.
COST_RESOURCES = ("cpu", "memory", "gpu", "storage")
# Units: cpu core-seconds, memory GiB-seconds, gpu GPU-seconds, storage GiB-seconds.

# The integer base unit each resource is counted in, per ledger unit (core, GiB, GPU,
# GiB); integer amounts keep sums of thousands of pods exact, so rates return to 0.
UNIT_SCALE = {"cpu": 10**9, "memory": 2**30, "gpu": 10**9, "storage": 2**30}
# Per Prometheus base unit (cores, bytes, GPUs, bytes), for the allocation metrics.
METRIC_SCALE = {"cpu": 10**9, "memory": 1, "gpu": 10**9, "storage": 1}

CAPACITY_NAMESPACE = ""  # owner namespace of the rows holding node capacity cost (for idle)


@dataclass(frozen=True, slots=True, order=True)
class Owner:
    """Who a cost belongs to."""

    namespace: str
    team: str
    vcluster: str = ""
    virtual_namespace: str = ""


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One UTC day x owner x resource: integrated units and cost."""

    day: str  # YYYY-MM-DD, UTC
    owner: Owner
    resource: str  # one of COST_RESOURCES
    unit_seconds: float
    cost: float


@dataclass(frozen=True, slots=True)
class Coverage:
    """Seconds the daemon observed the cluster on a UTC day, out of the day's seconds."""

    day: str
    observed_seconds: float


# The owner of cluster capacity rows: node capacity for cpu, memory and gpu, and the
# storage claims provision (a volume is bought per claim, so storage is never idle).
CAPACITY_OWNER = Owner(CAPACITY_NAMESPACE, "")


@dataclass(frozen=True, slots=True)
class DayTotal:
    """One UTC day x resource: what owners were allocated, and what capacity cost."""

    day: str
    resource: str
    allocated_unit_seconds: float
    allocated_cost: float
    capacity_unit_seconds: float  # CAPACITY_NAMESPACE rows
    capacity_cost: float


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """A month summed in SQL (Ledger.month_totals): a faster input for chargeback than
    every daily row. ``owners`` are LedgerRows whose ``day`` holds the month (YYYY-MM),
    capacity rows included; ``days`` has one DayTotal per day x resource, sorted."""

    month: str
    owners: tuple[LedgerRow, ...]
    days: tuple[DayTotal, ...]
