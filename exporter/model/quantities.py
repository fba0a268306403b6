"""Exact Kubernetes ``resource.Quantity`` values: parsing, arithmetic and canonical text.

A value is an integer count of nano-units, the finest grain Kubernetes keeps, so sums
over thousands of containers stay exact. The format only decides how a value prints.
The behaviour follows k8s.io/apimachinery/pkg/api/resource, quirks included.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "MAX_RESOURCE_NANOS",
    "ZERO",
    "Quantity",
    "QuantityError",
    "parse_quantity",
    "quantity_from_json",
    "resource_from_json",
]

DECIMAL_SI: Final = "DecimalSI"
BINARY_SI: Final = "BinarySI"
DECIMAL_EXPONENT: Final = "DecimalExponent"
_FORMATS: Final = frozenset({DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT})

_NANO: Final = 10**9
# Kubernetes caps parsed BinarySI values (and only those) at the largest int64.
_MAX_BINARY_NANOS: Final = (2**63 - 1) * _NANO
# Kubernetes has no bound, but expanding "1e999999999" would take it (and us) minutes;
# nothing real comes near these, so refuse rather than hang.
_MAX_TEXT_LENGTH: Final = 1024
_MAX_DIGITS: Final = 1000
# The edge of what a resource amount may be: Quantity.Value() (what kubelet, scheduler
# and quota controller act on) saturates at the largest int64, so nothing past 2**63-1
# units (cores, bytes, devices) means anything; and our sums must stay finite floats.
MAX_RESOURCE_NANOS: Final = (2**63 - 1) * _NANO

_DECIMAL_SUFFIXES: Final = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}  # fmt: skip
_BINARY_SUFFIXES: Final = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX_FOR: Final = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIX_FOR: Final = {exp // 10: suffix for suffix, exp in _BINARY_SUFFIXES.items()}

# Same split as apimachinery's scanner: sign, digits, optional fraction, then a run of
# suffix letters with an optional signed exponent, which is validated afterwards.
_QUANTITY_RE: Final = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)")
_EXPONENT_RE: Final = re.compile(r"[eE]([+-]?[0-9]+)")
# Go's strings.TrimSpace set, which the API server applies before parsing JSON strings.
_GO_SPACE: Final = " \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)


class QuantityError(ValueError):
    """A quantity that Kubernetes would refuse, or a resource list that holds one."""


@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """A Kubernetes quantity: an exact value in nano-units plus the format it prints in.

    Equality, ordering and hashing look at the value only, as ``Quantity.Cmp`` does.
    """

    nanos: int
    format: str

    def __post_init__(self) -> None:
        if self.format not in _FORMATS:
            raise QuantityError(f"unknown quantity format {self.format!r}")

    @classmethod
    def from_nanos(cls, nanos: int, format: str = DECIMAL_SI) -> Quantity:
        """Build a quantity from a count of nano-units (1 core = 10**9)."""
        return cls(nanos, format)

    @property
    def as_float(self) -> float:
        """The value in base units (cores, bytes), correctly rounded to a float."""
        return self.nanos / _NANO

    def __add__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        # Quantity.Add keeps the receiver's format, unless the receiver is zero.
        return Quantity(self.nanos + other.nanos, self.format if self.nanos else other.format)

    def __sub__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        return Quantity(self.nanos - other.nanos, self.format if self.nanos else other.format)

    def __neg__(self) -> Quantity:
        return Quantity(-self.nanos, self.format)

    def __bool__(self) -> bool:
        return self.nanos != 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos == other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos < other.nanos

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos <= other.nanos

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos > other.nanos

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos >= other.nanos

    def __str__(self) -> str:
        return _canonical_text(self.nanos, self.format)


ZERO: Final = Quantity(0, DECIMAL_SI)


@functools.lru_cache(maxsize=8192)
def parse_quantity(text: str) -> Quantity:
    """Parse ``text`` exactly as Kubernetes' ``resource.ParseQuantity`` does.

    Raises QuantityError, naming the text, for anything Kubernetes rejects.
    """
    if not isinstance(text, str):
        raise QuantityError(f"quantity must be a string, not {type(text).__name__}: {text!r}")
    if not text or len(text) > _MAX_TEXT_LENGTH:
        raise QuantityError(f"invalid quantity {text[:64]!r}: empty or too long")
    match = _QUANTITY_RE.fullmatch(text)
    if match is None:
        raise QuantityError(f"invalid quantity {text!r}: not <number><suffix>")
    sign, whole, fraction, suffix = match.groups()
    fraction = fraction or ""
    base, exponent, fmt = _interpret_suffix(suffix, text)
    if not (whole or fraction) and _digitless_is_refused(base, exponent):
        raise QuantityError(f"invalid quantity {text!r}: no digits")
    nanos = _to_nanos(whole + fraction, len(fraction), base, exponent, text)
    return _settle(-nanos if sign == "-" else nanos, fmt)


def quantity_from_json(value: object) -> Quantity:
    """Decode a quantity from a JSON or YAML value the way the API server's decoder does.

    Strings are trimmed of surrounding whitespace; bare numbers are read as their text.
    """
    if value is None:
        return ZERO
    if isinstance(value, str):
        return parse_quantity(value.strip(_GO_SPACE))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QuantityError(f"quantity must be a string or number, not {type(value).__name__}")
    try:
        text = repr(value)  # floats: the shortest text that reads back as the same float
    except ValueError as e:  # an int too long for Python to print
        raise QuantityError("invalid quantity: number too large") from e
    return parse_quantity(text)


def resource_from_json(value: object) -> Quantity:
    """A resource amount from an API object: a quantity from 0 to 2**63-1 units.

    Raises QuantityError for malformed text and for values Kubernetes never acts on
    (negative, or past int64): the decode-time boundary of every request, limit,
    quota, capacity and usage."""
    quantity = quantity_from_json(value)
    if quantity.nanos < 0:
        raise QuantityError(f"negative resource amount {str(value)[:64]!r}")
    if quantity.nanos > MAX_RESOURCE_NANOS:
        raise QuantityError(f"resource amount {str(value)[:64]!r} out of range (over 2**63-1)")
    return quantity


def _interpret_suffix(suffix: str, text: str) -> tuple[int, int, str]:
    """Return (base, exponent, format) for a suffix, as Kubernetes' suffixer reads it."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], BINARY_SI
    match = _EXPONENT_RE.fullmatch(suffix)
    if match is None:
        raise QuantityError(f"invalid quantity {text!r}: unknown suffix {suffix!r}")
    exponent = int(match.group(1))
    if not -(2**63) <= exponent < 2**63:
        raise QuantityError(f"invalid quantity {text!r}: exponent out of range")
    # Kubernetes parses the exponent as int64 and then truncates it to int32.
    return 10, (exponent + 2**31) % 2**32 - 2**31, DECIMAL_EXPONENT


def _digitless_is_refused(base: int, exponent: int) -> bool:
    """Whether Kubernetes refuses a number with no digits at all ("Ki", "e3", "-", ".").

    Such input is read as zero on its int64 fast path and refused on its big-decimal
    path, which it takes for exponents below nano and for the Pi and Ei multipliers.
    """
    return exponent < -9 if base == 10 else exponent >= 50


def _to_nanos(digits: str, fraction_len: int, base: int, exponent: int, text: str) -> int:
    """Return the magnitude in nano-units, rounding any finer remainder up (away from 0)."""
    significant = digits.lstrip("0")
    if not significant:
        return 0
    power = 9 - fraction_len + (exponent if base == 10 else 0)
    if len(significant) + power > _MAX_DIGITS:
        raise QuantityError(f"invalid quantity {text[:64]!r}: too large")
    numerator = int(significant) << (exponent if base == 2 else 0)
    if power >= 0:
        scale: int = 10**power  # an int: the exponent is not negative
        return numerator * scale
    # Binary multipliers add at most 19 digits; beyond that the value is below 1n.
    if -power >= len(significant) + 19:
        return 1
    divisor: int = 10**-power
    return -(-numerator // divisor)


def _settle(nanos: int, fmt: str) -> Quantity:
    """Apply Kubernetes' post-parse rules for BinarySI: cap at int64, fractions to decimal."""
    if fmt == BINARY_SI:
        if abs(nanos) > _MAX_BINARY_NANOS:
            nanos = _MAX_BINARY_NANOS if nanos > 0 else -_MAX_BINARY_NANOS
        elif 0 < abs(nanos) < _NANO:
            fmt = DECIMAL_SI
    return Quantity(nanos, fmt)


def _strip_factors(value: int, factor: int) -> tuple[int, int]:
    """Divide ``value`` by ``factor`` while it divides evenly; return (rest, times)."""
    times = 0
    while value % factor == 0:
        value //= factor
        times += 1
    return value, times


def _canonical_text(nanos: int, fmt: str) -> str:
    """Render like ``Quantity.String()``: no fraction, the largest suffix that is exact."""
    if nanos == 0:
        return "0"
    if fmt == BINARY_SI:
        if abs(nanos) >= 1024 * _NANO and nanos % _NANO == 0:
            mantissa, power = _strip_factors(nanos // _NANO, 1024)
            # Past Ei there is no suffix and Kubernetes prints the bare mantissa.
            return f"{mantissa}{_BINARY_SUFFIX_FOR.get(power, '')}"
        # Small or fractional BinarySI values print as DecimalSI rather than round.
        fmt = DECIMAL_SI
    mantissa, exponent = _strip_factors(nanos, 10)
    exponent -= 9
    # Move the exponent down to a multiple of three, as SI suffixes need.
    mantissa *= 10 ** (exponent % 3)
    exponent -= exponent % 3
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    # Past E (10**18) Kubernetes finds no suffix and drops it: 1000E prints as "1".
    return f"{mantissa}{_DECIMAL_SUFFIX_FOR.get(exponent, '')}"
