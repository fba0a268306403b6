"""The FOCUS export: FocusRows in, a FinOps Foundation FOCUS 1.2 CostAndUsage CSV out.

Every column FOCUS 1.2 makes mandatory, the conditional ones quotameter can fill
(usage measurement, sub accounts, tags, resources) and the optional ChargeFrequency,
ServiceSubcategory and InvoiceId. No discounts are modelled, so ListCost = BilledCost
= EffectiveCost = ContractedCost. Nulls are empty cells (ChargeClass, InvoiceId; the
SubAccount of idle capacity). Money and quantities have six decimals, from integer
millionths for money (no float round trip); text cells a spreadsheet would run as a
formula get a leading apostrophe, as in the chargeback CSV.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from exporter.cost.csvout import (
    ChargebackParamError,
    decimals,
    fixed_point,
    neutralise,
    parse_choice,
)
from exporter.cost.focusrows import FocusLine, FocusRow
from exporter.cost.records import Owner

FOCUS_VERSION = "1.2"
FORMATS = ("csv", "focus")
UNNAMED_CLUSTER = "default"  # BillingAccountId may not be null: the cluster without a name

COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "PricingCategory", "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit",
    "ServiceCategory", "ServiceSubcategory", "ServiceName",
    "ResourceId", "ResourceName", "ResourceType",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "InvoiceId",
    "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName", "Tags",
)  # fmt: skip

UNITS = {"cpu": "Core-Hours", "memory": "GiB-Hours", "gpu": "GPU-Hours", "storage": "GiB-Hours"}
_WHAT = {"cpu": "CPU", "memory": "memory", "gpu": "GPU", "storage": "persistent volume storage"}
# FOCUS wants one ServiceCategory (and one ServiceSubcategory) per ServiceName.
_SERVICES = {
    "compute": ("Compute", "Containers", "Kubernetes"),
    "storage": ("Storage", "Other (Storage)", "Kubernetes Persistent Volumes"),
}


@dataclass(frozen=True, slots=True)
class FocusContext:
    """What every row of one export shares."""

    start: datetime  # the billing period: the UTC month
    end: datetime
    cluster: str  # QUOTAMETER_CLUSTER_NAME; UNNAMED_CLUSTER when empty
    currency: str
    provider: str  # ProviderName, PublisherName and InvoiceIssuerName
    shared_namespaces: tuple[str, ...] = ()  # named in the shared rows' description

    @property
    def account(self) -> str:
        """BillingAccountId and BillingAccountName: the cluster."""
        return self.cluster or UNNAMED_CLUSTER


def parse_format(text: str | None, *, group_by: str | None = None) -> str:
    """``format`` checked against csv | focus (absent means csv). FOCUS rows always go
    down to the namespace and vcluster, so a ``group_by`` beside it is refused."""
    value = parse_choice(text, parameter="format", choices=FORMATS)
    if value == "focus" and group_by is not None:
        raise ChargebackParamError(
            "group_by: not used with format=focus, whose rows are always one per UTC day "
            "x namespace (x vcluster) x resource; leave group_by out",
            parameter="group_by",
            value=group_by,
        )
    return value


def micros_text(micros: int) -> str:
    """Integer millionths as a fixed six-decimal amount, exactly."""
    return fixed_point(micros, 6)


def hours_text(hours: float) -> str:
    """A quantity with six decimals; float dust never prints as -0.000000."""
    return decimals(hours, 6)


def instant(moment: datetime) -> str:
    """FOCUS date-time format: ISO 8601 in UTC with a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=64)
def charge_period(day: str) -> tuple[str, str]:
    """ChargePeriodStart and ChargePeriodEnd of a UTC day (YYYY-MM-DD)."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return instant(start), instant(start + timedelta(days=1))


# A row's cells in COLUMNS order are its money (x4), fixed text, its charge period, fixed
# text, its quantity, its unit, its quantity again and fixed text. The fixed text of one
# owner x resource x charge is the same every day: it is neutralised and quoted once.
Segments = tuple[str, str, str, str]
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def _segments(row: FocusRow, ctx: FocusContext) -> Segments:
    """The fixed cells of a row's owner x resource x charge, as CSV text between the
    cells that change from day to day."""
    unit = UNITS[row.resource]
    category, subcategory, service = _SERVICES[
        "storage" if row.resource == "storage" else "compute"
    ]
    resource_id, resource_name, resource_type = _resource(row, ctx)
    namespace = row.owner.namespace  # empty for idle capacity: no sub account
    period = (ctx.currency, instant(ctx.start), instant(ctx.end))
    charge = ("Usage", "", describe(row, ctx), "Usage-Based", "Standard")
    rest = (
        category, subcategory, service, resource_id, resource_name, resource_type,
        ctx.provider, ctx.provider, ctx.provider, "",
        ctx.account, ctx.account, namespace, namespace, tags(row.owner, ctx),
    )  # fmt: skip
    return (
        f",{_cells(period)},",
        f",{_cells(charge)},",
        f",{_cell(unit)},",
        f",{_cell(unit)},{_cells(rest)}\r\n",
    )


def _cells(cells: Iterable[str]) -> str:
    return ",".join(_cell(cell) for cell in cells)


def _cell(text: str) -> str:
    """One text cell: neutralised, then quoted as RFC 4180 (and the csv module) do."""
    text = neutralise(text)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _resource(row: FocusRow, ctx: FocusContext) -> tuple[str, str, str]:
    """ResourceId, ResourceName and ResourceType of a row."""
    o = row.owner
    if row.charge == "shared":
        path, kind = f"__shared__/{row.resource}", "Shared namespaces"
    elif row.charge == "idle":
        path, kind = f"__idle__/{row.resource}", "Idle capacity"
    elif o.vcluster:
        path = f"{o.namespace}/{o.vcluster}/{o.virtual_namespace}/{row.resource}"
        kind = "Virtual cluster namespace"
    else:
        path, kind = f"{o.namespace}/{row.resource}", "Namespace"
    return f"{ctx.account}/{path}", path, kind


def describe(row: FocusRow, ctx: FocusContext) -> str:
    """ChargeDescription: what the row charges for, in words."""
    what = _WHAT[row.resource]
    if row.charge == "shared":
        names = ", ".join(ctx.shared_namespaces)
        return f"Share of the {what} of the shared namespaces ({names})"
    if row.charge == "idle":
        if row.owner.namespace:  # an owner's part of it (idle: share)
            return f"Share of idle {what} capacity: capacity allocated to no namespace"
        return f"Idle {what} capacity: capacity allocated to no namespace"
    o = row.owner
    where = f"namespace {o.namespace}"
    if o.vcluster:
        where = f"virtual namespace {o.virtual_namespace} of vcluster {o.vcluster} in {where}"
    verb = "claimed by" if row.resource == "storage" else "allocated to"
    return f"{what[0].upper()}{what[1:]} {verb} {where}"


def tags(owner: Owner, ctx: FocusContext) -> str:
    """Tags: team, namespace and cluster (vcluster and virtual namespace where present)
    as a JSON object with sorted keys."""
    found = {"cluster": ctx.account, "team": owner.team}
    if owner.namespace:
        found["namespace"] = owner.namespace
    if owner.vcluster:
        found["vcluster"] = owner.vcluster
        found["virtual_namespace"] = owner.virtual_namespace
    return json.dumps(found, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def render_focus(rows: Iterable[FocusRow], ctx: FocusContext) -> bytes:
    """The FOCUS CSV (UTF-8, CRLF line ends, header first) of already sorted rows."""
    out = io.StringIO(newline="")
    out.write(",".join(COLUMNS) + "\r\n")
    known: dict[FocusLine, Segments] = {}
    for row in rows:
        fixed = known.get(row.line) or known.setdefault(row.line, _segments(row, ctx))
        money, quantity = micros_text(row.micros), hours_text(row.hours)
        start, end = charge_period(row.day)
        out.write(
            f"{money},{money},{money},{money}{fixed[0]}{start},{end}{fixed[1]}"
            f"{quantity}{fixed[2]}{quantity}{fixed[3]}"
        )
    return out.getvalue().encode("utf-8")
