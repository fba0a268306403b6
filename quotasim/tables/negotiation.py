"""Content negotiation: whether an Accept header asks for a meta.k8s.io Table."""

from __future__ import annotations

TABLE_GROUP = "meta.k8s.io"
_TABLE_VERSIONS = ("v1", "v1beta1")
# Conversions the apiserver offers in meta.k8s.io; any other as/g/v clause is skipped.
_TRANSFORMS = ("Table", "PartialObjectMetadata", "PartialObjectMetadataList")


def accepts_table(accept_header: str) -> str | None:
    """Return "v1" or "v1beta1" when the Accept header negotiates a meta.k8s.io Table, else None.

    Mirrors the apiserver: clauses are tried by quality, the first one the JSON serializer
    can serve wins, and a Table clause with a wrong group or version is skipped, not chosen.
    """
    for type_, subtype, params in _parse_accept(accept_header or ""):
        if type_ not in ("application", "*") or subtype not in ("json", "*"):
            continue
        convert = (params.get("as"), params.get("g"), params.get("v"))
        if convert == (None, None, None):
            return None  # plain JSON was preferred
        kind, group, version = convert
        if kind in _TRANSFORMS and group == TABLE_GROUP and version in _TABLE_VERSIONS:
            return version if kind == "Table" else None  # PartialObjectMetadata: not a Table
    return None


def _parse_accept(header: str) -> list[tuple[str, str, dict[str, str]]]:
    """Split an Accept header like goautoneg: by q (high first), then specific before '*'."""
    clauses = []
    for part in header.split(","):
        media_range, *raw_params = part.strip(" ").split(";")
        pieces = media_range.split("/")
        if len(pieces) == 1 and pieces[0].strip(" ") == "*":
            pieces = ["*", "*"]
        if len(pieces) != 2:
            continue
        q, params = 1.0, {}
        for raw in raw_params:
            key, sep, value = raw.partition("=")
            if not sep:
                continue
            if key.strip(" ") == "q":
                q = _parse_q(value)
            else:
                params[key.strip(" ")] = value.strip(" ")
        clauses.append((pieces[0].strip(" "), pieces[1].strip(" "), params, q))
    clauses.sort(key=lambda c: (-c[3], c[0] == "*", c[1] == "*"))  # stable, like Go for n<12
    return [(t, s, p) for t, s, p, _ in clauses]


def _parse_q(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0  # Go's ParseFloat error leaves q at 0
