"""The FOCUS CSV: its columns, each kind of row's cells, formats, and its parameters."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from exporter.cost.csvout import ChargebackParamError
from exporter.cost.focuscsv import (
    COLUMNS,
    FocusContext,
    micros_text,
    parse_format,
    render_focus,
)
from exporter.cost.focusrows import IDLE_OWNER, FocusLine, FocusRow
from exporter.cost.records import Owner

# FOCUS 1.2's mandatory columns, written out here rather than read from the code.
MANDATORY = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingCategory", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}  # fmt: skip
CONTEXT = FocusContext(
    start=datetime(2026, 11, 1, tzinfo=UTC),
    end=datetime(2026, 12, 1, tzinfo=UTC),
    cluster="eu-1",
    currency="EUR",
    provider="Platform team",
    shared_namespaces=("kube-system", "observability"),
)
VC = Owner("vc-sandbox", "web", vcluster="sandbox", virtual_namespace="shop")


def row(day: str, owner: Owner, resource: str, charge: str, hours: float, micros: int) -> FocusRow:
    return FocusRow(day, FocusLine(owner, resource, charge), hours, micros)


def cells(*rows: FocusRow, context: FocusContext = CONTEXT) -> list[dict[str, str]]:
    """The rendered rows, each as {column: cell}."""
    text = render_focus(rows, context).decode()
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_has_every_mandatory_column_and_the_conditional_ones_we_fill() -> None:
    header = render_focus([], CONTEXT).decode().splitlines()[0].split(",")
    assert header == list(COLUMNS)
    assert set(header) >= MANDATORY
    assert set(header) >= {"ConsumedQuantity", "ConsumedUnit", "ResourceId", "ResourceName",
                           "SubAccountId", "SubAccountName", "Tags"}  # fmt: skip


def test_a_vcluster_namespace_usage_row() -> None:
    (found,) = cells(row("2026-11-30", VC, "cpu", "usage", 12.5, 3_141_593))
    assert found == {
        "BilledCost": "3.141593", "EffectiveCost": "3.141593", "ListCost": "3.141593",
        "ContractedCost": "3.141593", "BillingCurrency": "EUR",
        "BillingPeriodStart": "2026-11-01T00:00:00Z", "BillingPeriodEnd": "2026-12-01T00:00:00Z",
        "ChargePeriodStart": "2026-11-30T00:00:00Z", "ChargePeriodEnd": "2026-12-01T00:00:00Z",
        "ChargeCategory": "Usage", "ChargeClass": "",
        "ChargeDescription": "CPU allocated to virtual namespace shop of vcluster sandbox "
        "in namespace vc-sandbox",
        "ChargeFrequency": "Usage-Based", "PricingCategory": "Standard",
        "PricingQuantity": "12.500000", "PricingUnit": "Core-Hours",
        "ConsumedQuantity": "12.500000", "ConsumedUnit": "Core-Hours",
        "ServiceCategory": "Compute", "ServiceSubcategory": "Containers",
        "ServiceName": "Kubernetes",
        "ResourceId": "eu-1/vc-sandbox/sandbox/shop/cpu",
        "ResourceName": "vc-sandbox/sandbox/shop/cpu", "ResourceType": "Virtual cluster namespace",
        "ProviderName": "Platform team", "PublisherName": "Platform team",
        "InvoiceIssuerName": "Platform team", "InvoiceId": "",
        "BillingAccountId": "eu-1", "BillingAccountName": "eu-1",
        "SubAccountId": "vc-sandbox", "SubAccountName": "vc-sandbox",
        "Tags": '{"cluster":"eu-1","namespace":"vc-sandbox","team":"web",'
        '"vcluster":"sandbox","virtual_namespace":"shop"}',
    }  # fmt: skip


def test_storage_shared_and_idle_rows() -> None:
    dev = Owner("dev", "agents")
    storage, shared, idle, share = cells(
        row("2026-11-02", dev, "storage", "usage", 240.0, 10),
        row("2026-11-02", dev, "memory", "shared", 1.25, 20),
        row("2026-11-02", IDLE_OWNER, "gpu", "idle", 3.0, 7_500_000),
        row("2026-11-02", dev, "gpu", "idle", 0.5, 1_250_000),
    )
    assert (storage["ServiceCategory"], storage["ServiceSubcategory"], storage["ServiceName"]) == (
        "Storage", "Other (Storage)", "Kubernetes Persistent Volumes",
    )  # fmt: skip
    assert (storage["PricingUnit"], storage["BilledCost"]) == ("GiB-Hours", "0.000010")
    assert storage["ChargeDescription"] == "Persistent volume storage claimed by namespace dev"
    assert (shared["ResourceId"], shared["ResourceType"]) == ("eu-1/__shared__/memory",
                                                             "Shared namespaces")  # fmt: skip
    assert shared["ChargeDescription"] == (
        "Share of the memory of the shared namespaces (kube-system, observability)"
    )
    assert (shared["SubAccountId"], json.loads(shared["Tags"])["team"]) == ("dev", "agents")
    assert (idle["ResourceId"], idle["PricingUnit"], idle["BilledCost"]) == (
        "eu-1/__idle__/gpu", "GPU-Hours", "7.500000",
    )  # fmt: skip
    assert (idle["SubAccountId"], idle["SubAccountName"]) == ("", "")  # no sub account: null
    assert json.loads(idle["Tags"]) == {"cluster": "eu-1", "team": "__idle__"}
    assert idle["ChargeDescription"] == "Idle GPU capacity: capacity allocated to no namespace"
    assert share["ChargeDescription"].startswith("Share of idle GPU capacity")
    assert share["SubAccountId"] == "dev"


def test_an_unnamed_cluster_is_an_account_and_formulas_are_neutralised() -> None:
    unnamed = FocusContext(
        start=CONTEXT.start, end=CONTEXT.end, cluster="", currency="USD", provider="=cmd|x"
    )
    (found,) = cells(row("2026-11-01", Owner("dev", "=evil"), "cpu", "usage", 0, 0),
                   context=unnamed)  # fmt: skip
    assert (found["BillingAccountId"], found["ResourceId"]) == ("default", "default/dev/cpu")
    assert found["ProviderName"] == "'=cmd|x"
    assert json.loads(found["Tags"])["team"] == "=evil"  # inside JSON, never a cell's start
    assert (found["BilledCost"], found["PricingQuantity"]) == ("0.000000", "0.000000")


def test_cells_with_commas_quotes_and_line_breaks_read_back_whole() -> None:
    team = 'x,"y"\r\nz'
    (found,) = cells(row("2026-11-01", Owner("dev", team), "cpu", "usage", 1, 1))
    assert json.loads(found["Tags"])["team"] == team
    assert found["SubAccountId"] == "dev"


def test_money_has_six_decimals_exactly() -> None:
    assert [micros_text(m) for m in (0, 1, 999_999, 1_000_000, 123_456_789_012, -5)] == [
        "0.000000", "0.000001", "0.999999", "1.000000", "123456.789012", "-0.000005",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "group_by", "expected"),
    [(None, None, "csv"), ("csv", "team", "csv"), ("focus", None, "focus")],
)
def test_format_values(text: str | None, group_by: str | None, expected: str) -> None:
    assert parse_format(text, group_by=group_by) == expected


@pytest.mark.parametrize(
    ("text", "group_by", "parameter"),
    [("xml", None, "format"), ("FOCUS", None, "format"), ("", None, "format"),
     ("focus", "team", "group_by"), ("focus", "", "group_by")],
)  # fmt: skip
def test_bad_format_parameters_name_the_parameter(
    text: str, group_by: str | None, parameter: str
) -> None:
    with pytest.raises(ChargebackParamError) as caught:
        parse_format(text, group_by=group_by)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"{parameter}: ")
    assert "\n" not in str(caught.value)
