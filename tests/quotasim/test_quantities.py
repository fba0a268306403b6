"""quotasim's own resource.Quantity: values, canonical text and the input text it keeps,
as kube-apiserver v1.36 parses and prints them; and agreement with the exporter's
independent implementation on values and canonical text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporter.model import quantities as exporter_quantities
from quotasim.quantities import NANO, Format, Quantity, QuantityError, canonical


@pytest.mark.parametrize(
    ("text", "nanos", "fmt", "printed"),
    [
        ("100m", 100_000_000, Format.DECIMAL_SI, "100m"),
        ("1.5", 1_500_000_000, Format.DECIMAL_SI, "1500m"),
        ("1.5Gi", 1536 * 2**20 * NANO, Format.BINARY_SI, "1536Mi"),
        ("0.9Gi", 966367641600 * 10**6, Format.BINARY_SI, "966367641600m"),
        ("1000m", NANO, Format.DECIMAL_SI, "1"),
        ("1e3", 1000 * NANO, Format.DECIMAL_EXPONENT, "1e3"),
        ("1.3E+6", 1_300_000 * NANO, Format.DECIMAL_EXPONENT, "1300e3"),
        (".5", 500_000_000, Format.DECIMAL_SI, "500m"),
        ("-1.5n", -2, Format.DECIMAL_SI, "-2n"),  # finer than 1n: rounded away from zero
        ("0.30000000000000004", 300_000_001, Format.DECIMAL_SI, "300000001n"),
        ("9Ei", (2**63 - 1) * NANO, Format.BINARY_SI, "9223372036854775807"),  # capped
        ("1000E", 10**21 * NANO, Format.DECIMAL_SI, "1"),  # v1.36 drops the missing suffix
        ("1e4294967296", NANO, Format.DECIMAL_EXPONENT, "1"),  # the exponent is an int32
        ("-", 0, Format.DECIMAL_SI, "0"),
        ("Ki", 0, Format.BINARY_SI, "0"),  # no digits: zero on the int64 path
    ],
)
def test_parse_and_print(text: str, nanos: int, fmt: Format, printed: str) -> None:
    quantity = Quantity.parse(text)
    assert (quantity.nanos, quantity.format, canonical(quantity.nanos, quantity.format)) == (
        nanos,
        fmt,
        printed,
    )


@pytest.mark.parametrize(
    ("text", "printed"),
    [("+100m", "+100m"), ("1.Ki", "1.Ki"), ("1E3", "1E3"), ("1000m", "1"), ("1024Ki", "1Mi")],
)
def test_text_judged_canonical_is_kept(text: str, printed: str) -> None:
    assert str(Quantity.parse(text)) == printed


@pytest.mark.parametrize("text", ["", "1K", "1e", "Pi", "-Ei", "1.2.3", "e-10", "1ki", " 1"])
def test_refused(text: str) -> None:
    with pytest.raises(QuantityError):
        Quantity.parse(text)


def test_sums_keep_the_first_nonzero_format_and_drop_the_text() -> None:
    total = Quantity.parse("0") + Quantity.parse("128Mi") + Quantity.parse("1G")
    assert (total.format, str(total), total.text) == (Format.BINARY_SI, "1134217728", None)
    assert str(Quantity.parse("250m") + Quantity.parse("1")) == "1250m"
    assert str(Quantity.parse("256Mi") + Quantity.parse("1Gi")) == "1280Mi"


def test_decode_json_values() -> None:
    assert Quantity.decode(None).nanos == 0
    assert str(Quantity.decode(2)) == "2"
    assert str(Quantity.decode(0.25)) == "250m"
    assert str(Quantity.decode("\u3000 64Mi\t")) == "64Mi"
    with pytest.raises(QuantityError):
        Quantity.decode(True)


def test_value_and_milli_value_round_away_from_zero() -> None:
    assert [Quantity.parse("1500u").milli_value(), Quantity.parse("1001m").value()] == [2, 2]
    assert [Quantity.parse("-1500u").milli_value(), Quantity.parse("-1001m").value()] == [-2, -2]


_TEXT = st.from_regex(
    r"[+-]?[0-9]{0,12}(\.[0-9]{0,12})?(|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[+-]?[0-9]{1,2})",
    fullmatch=True,
)


@given(_TEXT)
def test_agrees_with_the_exporters_implementation(text: str) -> None:
    try:
        theirs = exporter_quantities.parse_quantity(text)
    except exporter_quantities.QuantityError:
        with pytest.raises(QuantityError):
            Quantity.parse(text)
        return
    ours = Quantity.parse(text)
    assert (ours.nanos, str(ours.format), canonical(ours.nanos, ours.format)) == (
        theirs.nanos,
        theirs.format,
        str(theirs),
    )
