"""Label and field selectors as the API server parses and applies them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from quotasim.resources import ResourceType

Matcher = Callable[[Mapping], bool]


class SelectorError(ValueError):
    """A selector the API server would reject with 400 BadRequest."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a label selector: key, operator and values."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label map satisfies this term."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        return not present or value not in self.values  # "!=" and "notin"


_SET_TERM = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_TERM = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return [t for t in terms if t.strip()]


def _parse_term(term: str) -> Requirement:
    eq = _EQ_TERM.match(term)
    if eq:
        key, op, value = eq.groups()
        return Requirement(key, "!=" if op == "!=" else "=", frozenset({value}))
    st = _SET_TERM.match(term)
    if not st:
        raise SelectorError(f"unable to parse requirement: {term.strip()!r}")
    bang, key, op, values = st.groups()
    if op:
        if bang:
            raise SelectorError(f"unable to parse requirement: {term.strip()!r}")
        return Requirement(key, op, frozenset(v.strip() for v in values.split(",") if v.strip()))
    return Requirement(key, "!" if bang else "exists")


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    """Parse `labelSelector`; an empty selector matches everything."""
    if not text:
        return ()
    return tuple(_parse_term(t) for t in _split_terms(text))


def labels_match(requirements: tuple[Requirement, ...], labels: Mapping[str, str]) -> bool:
    """Whether every requirement holds for the label map."""
    return all(r.matches(labels) for r in requirements)


def _path(*keys: str) -> Callable[[Mapping], str]:
    def get(obj: Mapping) -> str:
        value: object = obj
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return "" if value is None else str(value)

    return get


_COMMON_FIELDS = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}
FIELDS: dict[str, dict[str, Callable[[Mapping], str]]] = {
    "pods": _COMMON_FIELDS
    | {
        "status.phase": _path("status", "phase"),
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "status.podIP": _path("status", "podIP"),
    },
    "events": _COMMON_FIELDS
    | {
        "reason": _path("reason"),
        "type": _path("type"),
        "source": _path("source", "component"),
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.uid": _path("involvedObject", "uid"),
    },
    "namespaces": _COMMON_FIELDS | {"status.phase": _path("status", "phase")},
    "nodes": _COMMON_FIELDS | {"spec.unschedulable": _path("spec", "unschedulable")},
}


def parse_field_selector(plural: str, text: str | None) -> Matcher | None:
    """Parse `fieldSelector`; unknown fields raise SelectorError as the server does."""
    if not text:
        return None
    getters = FIELDS.get(plural, _COMMON_FIELDS)
    tests: list[tuple[Callable[[Mapping], str], bool, str]] = []
    for term in text.split(","):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise SelectorError(f"invalid selector: {text!r}; can't understand {term!r}")
        name, op, value = m.groups()
        if name not in getters:
            raise SelectorError(f"field label not supported: {name}")
        tests.append((getters[name], op == "!=", value))
    return lambda obj: all(
        (get(obj) != value) if neg else (get(obj) == value) for get, neg, value in tests
    )


def list_matcher(rtype: ResourceType, query: Mapping[str, str]) -> Callable[[Mapping], bool] | None:
    """A predicate for the label and field selectors of a request (None when there are none)."""
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(rtype.plural, query.get("fieldSelector"))
    if not labels and fields is None:
        return None
    return lambda obj: (
        labels_match(labels, obj["metadata"].get("labels") or {})
        and (fields is None or fields(obj))
    )
