"""Resource quantities as kube-apiserver v1.36 reads, adds and prints them.

Written from the behaviour of k8s.io/apimachinery's resource.Quantity, quirks kept: the
suffixes n u m k M G T P E and Ki..Ei, exponents (1e3, 1.3E+6), signs and leading dots;
values finer than a nano-unit rounded up, away from zero; BinarySI capped at the largest
int64; the canonical text kubectl shows (1250m, 1280Mi); and the input text kept as the
printed form when the parser judges it canonical already (so "+100m" stays "+100m").
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import total_ordering

NANO = 10**9
INT64_MAX = 2**63 - 1

# Go's strings.TrimSpace, applied to quantity strings before they are parsed.
_GO_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
# Sign, then the number (leading zeros apart), then a run of suffix letters that may end
# in a signed exponent; which suffixes mean something is decided afterwards.
_SCAN = re.compile(r"([+-]?)(0*)([0-9]*)(\.[0-9]*)?([eEinumkKMGTP]*[+-]?[0-9]*)")
_GO_INT64 = re.compile(r"[+-]?0*([0-9]{1,19})")
# Kubernetes parses "1e999999999" and then takes minutes to expand it; the simulator
# refuses magnitudes past this many decimal digits instead.
_MAX_DIGITS = 4096


class Format(enum.StrEnum):
    """How a quantity prints: the three formats of resource.Quantity."""

    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_BY_POWER = {exponent // 10: suffix for suffix, exponent in _BINARY.items()}


class QuantityError(ValueError):
    """Text that kube-apiserver refuses as a quantity."""


_FORMAT_WRONG = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """An exact quantity: nano-units, the format it prints in, and maybe its input text."""

    nanos: int
    format: Format = Format.DECIMAL_SI
    text: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """resource.ParseQuantity: the value of `text`, or QuantityError."""
        return _parse(text)

    @classmethod
    def decode(cls, raw: object) -> Quantity:
        """A quantity field as the API server decodes JSON: null is zero, a number its text."""
        if raw is None:
            return ZERO
        if isinstance(raw, str):
            return _parse(raw.strip(_GO_WHITESPACE))
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return _parse(repr(raw))
        raise QuantityError(f"a quantity is a string or a number, not {raw!r}")

    @classmethod
    def count(cls, n: int) -> Quantity:
        """A whole number of objects, as object-count quota keys hold it."""
        return cls(n * NANO)

    def __add__(self, other: Quantity) -> Quantity:
        # Quantity.Add: the sum keeps the left side's format unless that side is zero.
        return Quantity(self.nanos + other.nanos, self.format if self.nanos else other.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.nanos - other.nanos, self.format if self.nanos else other.format)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.nanos == other.nanos

    def __lt__(self, other: Quantity) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def value(self) -> int:
        """Quantity.Value(): whole units, rounded away from zero."""
        return _away_from_zero(self.nanos, NANO)

    def milli_value(self) -> int:
        """Quantity.MilliValue(): milli-units, rounded away from zero."""
        return _away_from_zero(self.nanos, NANO // 1000)

    def __str__(self) -> str:
        return self.text if self.text is not None else canonical(self.nanos, self.format)


ZERO = Quantity(0)


def _away_from_zero(nanos: int, unit: int) -> int:
    whole, rest = divmod(abs(nanos), unit)
    magnitude = whole + (rest > 0)
    return -magnitude if nanos < 0 else magnitude


# -- parsing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Number:
    """A scanned quantity: sign, digits (leading zeros dropped), fraction digits, suffix."""

    negative: bool
    whole: str  # "0" when no significant digit precedes the point
    fraction: str
    has_digits: bool
    suffix: str


def _scan(text: str) -> _Number:
    match = _SCAN.fullmatch(text)
    if match is None:
        raise QuantityError(f"{_FORMAT_WRONG}: {text!r}")
    sign, zeros, digits, point, suffix = match.groups()
    fraction = (point or ".")[1:]
    return _Number(
        negative=sign == "-",
        whole=digits or "0",
        fraction=fraction,
        has_digits=bool(zeros or digits or fraction),
        suffix=suffix,
    )


def _interpret(suffix: str, text: str) -> tuple[int, int, Format]:
    """(base, exponent, format) of a suffix, as apimachinery's suffixer reads it."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], Format.DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], Format.BINARY_SI
    exponent = suffix[1:]
    if suffix[:1] in ("e", "E") and _GO_INT64.fullmatch(exponent):
        value = int(exponent)
        if -(2**63) <= value <= INT64_MAX:
            # Parsed as an int64, then kept as an int32: the high bits are lost.
            return 10, (value + 2**31) % 2**32 - 2**31, Format.DECIMAL_EXPONENT
    raise QuantityError(f"unable to parse quantity's suffix: {text!r}")


def _parse(text: str) -> Quantity:
    if not text:
        raise QuantityError(f"{_FORMAT_WRONG}: ''")
    if text == "0":
        return Quantity(0, Format.DECIMAL_SI, "0")
    number = _scan(text)
    base, exponent, fmt = _interpret(number.suffix, text)
    fast = _fast_path(number, base, exponent, fmt, text)
    if fast is not None:
        return fast
    return _exact_path(number, base, exponent, fmt, text)


def _fast_path(
    number: _Number, base: int, exponent: int, fmt: Format, text: str
) -> Quantity | None:
    """ParseQuantity's int64 path; None where Kubernetes falls back to big decimals."""
    digits = number.whole + number.fraction
    if base == 10:
        scale = exponent - len(number.fraction)
        if 18 - len(digits) < 0 or scale < -9:
            return None
        magnitude = int(digits) * 10 ** (scale + 9)
        kept = scale % 3 == 0 and not digits.endswith("000") and digits[0] != "0"
    else:
        if number.fraction or 15 - len(number.whole) - exponent * 3 // 10 - 1 < 0:
            return None
        units = int(digits) << exponent
        if units > INT64_MAX:
            return None
        magnitude = units * NANO
        kept = int(digits) & 7 != 0
    nanos = -magnitude if number.negative else magnitude
    return Quantity(nanos, fmt, text if kept else None)


def _exact_path(number: _Number, base: int, exponent: int, fmt: Format, text: str) -> Quantity:
    """ParseQuantity's big-decimal path: exact, then rounded up to a nano-unit and capped."""
    if not number.has_digits:
        raise QuantityError(f"unable to parse quantity's numeric part: {text!r}")
    digits = (number.whole + number.fraction).lstrip("0") or "0"
    power = exponent - len(number.fraction) if base == 10 else -len(number.fraction)
    if len(digits) + power > _MAX_DIGITS:
        raise QuantityError(f"quantity too large for the simulator: {text[:40]!r}")
    numerator = int(digits) << (exponent if base == 2 else 0)
    shift = power + 9  # to nano-units
    if shift >= 0:
        magnitude = numerator * 10**shift
    elif -shift > len(str(numerator)):
        magnitude = 1 if numerator else 0  # below one nano-unit: rounds up to 1n
    else:
        magnitude = -(-numerator // 10**-shift)
    if fmt is Format.BINARY_SI:
        magnitude = min(magnitude, INT64_MAX * NANO)
        if 0 < magnitude < NANO:
            fmt = Format.DECIMAL_SI  # a binary fraction of one prints in decimal
    return Quantity(-magnitude if number.negative else magnitude, fmt)


# -- canonical text -------------------------------------------------------------------------


def canonical(nanos: int, fmt: Format) -> str:
    """Quantity.String() of a computed value: no fraction, the largest exact suffix."""
    if nanos == 0:
        return "0"
    if fmt is Format.BINARY_SI and abs(nanos) >= 1024 * NANO and nanos % NANO == 0:
        units = nanos // NANO
        powers = ((units & -units).bit_length() - 1) // 10  # whole factors of 1024
        # Past Ei there is no suffix and the mantissa prints bare (as v1.36 does).
        return f"{units >> 10 * powers}{_BINARY_BY_POWER.get(powers, '')}"
    digits = str(abs(nanos))
    significant = digits.rstrip("0")
    exponent = len(digits) - len(significant) - 9
    # SI suffixes step by three: the exponent moves down to a multiple of 3.
    mantissa = ("-" if nanos < 0 else "") + significant + "0" * (exponent % 3)
    exponent -= exponent % 3
    if fmt is Format.DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else mantissa
    # Past E the suffix table ends and v1.36 prints the mantissa bare: 1000E is "1".
    return f"{mantissa}{_DECIMAL_BY_EXPONENT.get(exponent, '')}"
