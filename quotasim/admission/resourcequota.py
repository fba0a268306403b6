"""ResourceQuota admission: refuse a create that a pertinent quota cannot take, and say
what each quota's status.used becomes when it can."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quotasim.admission import forbidden
from quotasim.quantities import Quantity
from quotasim.quota.evaluators import Evaluator, evaluator_for


def _hard(quota: Mapping) -> Mapping:
    # Admission enforces status.hard; it is absent only until the controller first syncs.
    status_hard = (quota.get("status") or {}).get("hard")
    return status_hard if status_hard is not None else (quota.get("spec") or {}).get("hard") or {}


def _name(obj: Mapping) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _pretty(values: Mapping[str, Quantity], keys: Iterable[str]) -> str:
    """prettyPrint: `key=value` pairs sorted by key, joined by commas."""
    return ",".join(f"{key}={values[key]}" for key in sorted(keys) if key in values)


def _used(quota: Mapping) -> dict[str, Quantity]:
    used = (quota.get("status") or {}).get("used") or {}
    return {key: Quantity.decode(value) for key, value in used.items()}


def _pertinent(kind: str, obj: Mapping, quotas: list[Mapping]) -> list[Mapping]:
    """Quotas that constrain the object; refuse it if one has a constraint it breaks."""
    evaluator: Evaluator = evaluator_for(kind, obj)
    pertinent = []
    for quota in quotas:
        restricted = evaluator.matching(_hard(quota))
        if not restricted or not evaluator.selected(quota, obj):
            continue
        error = evaluator.constraint_error(restricted, obj)
        if error:
            raise forbidden(kind, obj, f"failed quota: {_name(quota)}: {error}")
        used = (quota.get("status") or {}).get("used") or {}
        if any(key not in used for key in restricted):
            names = ",".join(sorted(restricted))
            raise forbidden(
                kind, obj, f"status unknown for quota: {_name(quota)}, resources: {names}"
            )
        pertinent.append(quota)
    return pertinent


def _charge(kind: str, obj: Mapping, quota: Mapping, delta: Mapping[str, Quantity]) -> dict | None:
    """The quota's new used map, or None when it is unchanged; raise if it would be exceeded."""
    hard = {k: Quantity.decode(v) for k, v in _hard(quota).items()}
    used = _used(quota)
    requested = {k: v for k, v in delta.items() if k in hard}
    new_used = dict(used)
    for key, value in requested.items():
        new_used[key] = used[key] + value if key in used else value
    exceeded = [key for key in requested if new_used[key] > hard[key]]
    if exceeded:
        raise forbidden(
            kind,
            obj,
            f"exceeded quota: {_name(quota)}, requested: {_pretty(requested, exceeded)}"
            f", used: {_pretty(used, exceeded)}, limited: {_pretty(hard, exceeded)}",
        )
    if new_used == used:
        return None
    return {key: str(value) for key, value in new_used.items()}


def check_quotas(kind: str, obj: Mapping, quotas: Iterable[Mapping]) -> dict[str, dict[str, str]]:
    """ResourceQuota admission for creating obj; returns {quota name: new status.used}.

    Quotas are checked in name order (what a LIST returns; the real plugin's cache order is
    unspecified): first every pertinent quota's constraints ("failed quota: ... must
    specify ..."), then the charges ("exceeded quota: ..."). Raises AdmissionError (403).
    """
    pertinent = _pertinent(kind, obj, sorted(quotas, key=_name))
    usage = evaluator_for(kind, obj).usage(obj)
    negative = sorted(key for key, value in usage.items() if value.nanos < 0)
    if negative:
        raise forbidden(kind, obj, "quota usage is negative for resource(s): " + ",".join(negative))
    delta = {key: value for key, value in usage.items() if value.nanos != 0}
    charged = {}
    for quota in pertinent if delta else ():
        new_used = _charge(kind, obj, quota, delta)
        if new_used is not None:
            charged[_name(quota)] = new_used
    return charged
