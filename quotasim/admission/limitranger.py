"""LimitRanger: defaults a pod's requests and limits on create, then refuses pods and claims
that break a LimitRange's min, max or maxLimitRequestRatio."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quotasim.admission import aggregate, forbidden
from quotasim.podresources import (
    LIMIT_RANGER,
    containers,
    decode_list,
    pod_limits,
    pod_requests,
    requests_defaulted_from_limits,
)
from quotasim.quantities import ZERO, Quantity

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"
_MAX_MILLI_VALUE = (2**63 - 1) // 1000  # beyond this Go compares whole units, not milli


# -- mutation (Admit) ----------------------------------------------------------------------


def _items(limitrange: Mapping, limit_type: str) -> list[Mapping]:
    limits = (limitrange.get("spec") or {}).get("limits") or ()
    return [item for item in limits if item.get("type") == limit_type]


def container_defaults(limitrange: Mapping) -> tuple[dict, dict]:
    """(default requests, default limits) a LimitRange gives containers.

    Includes the API defaulting of Container items: a missing default comes from max,
    a missing defaultRequest from default, then from min. Later items win.
    """
    requests: dict = {}
    limits: dict = {}
    for item in _items(limitrange, "Container"):
        default = {**(item.get("max") or {}), **(item.get("default") or {})}
        requests |= {**(item.get("min") or {}), **default, **(item.get("defaultRequest") or {})}
        limits |= default
    return requests, limits


def _fill_missing(resources: dict, field: str, defaults: Mapping) -> list[str]:
    """Add the defaults a container lacks (in canonical text); return the names added."""
    missing = [name for name in defaults if name not in (resources.get(field) or {})]
    if missing:
        values = resources.setdefault(field, {})
        for name in missing:
            values[name] = str(Quantity.decode(defaults[name]))
    return sorted(missing)


def _merge_container(container: dict, label: str, requests: Mapping, limits: Mapping) -> list[str]:
    resources = container.setdefault("resources", {})
    notes = []
    for field, defaults, word in (("requests", requests, "request"), ("limits", limits, "limit")):
        added = _fill_missing(resources, field, defaults)
        if added:
            notes.append(f"{', '.join(added)} {word} for {label} {container.get('name', '')}")
    return notes


def apply_limitrange_defaults(pod: dict, limitranges: Iterable[Mapping]) -> None:
    """Mutate a pod as API defaulting and then LimitRanger's Admit do on create.

    Requests are first defaulted from limits (decoding does that before admission), then
    each LimitRange fills missing requests/limits and records what it set in the
    kubernetes.io/limit-ranger annotation.
    """
    for container, _ in containers(pod):
        container["resources"] = requests_defaulted_from_limits(container)
    for limitrange in limitranges:
        requests, limits = container_defaults(limitrange)
        notes = [
            note
            for container, label in containers(pod)
            for note in _merge_container(container, label, requests, limits)
        ]
        if notes:
            annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


# -- validation (Validate) -----------------------------------------------------------------


def _comparable(*values: Quantity) -> list[int]:
    """requestLimitEnforcedValues: milli-units when all fit, else whole units."""
    units = [q.value() for q in values]
    if all(u <= _MAX_MILLI_VALUE for u in units):
        return [q.milli_value() for q in values]
    return units


def _min_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, enf_v = _comparable(req or ZERO, lim or ZERO, enforced)
    if req is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_v < enf_v:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {req}"
    if lim is not None and lim_v < enf_v:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {lim}"
    return None


def _max_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, enf_v = _comparable(req or ZERO, lim or ZERO, enforced)
    if lim is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if lim_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {lim}"
    if req is not None and req_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _max_request_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, _limits: Mapping
) -> str | None:
    # PVCs: only spec.resources.requests is user input, so max applies to the request.
    req = requests.get(name)
    req_v, _, enf_v = _comparable(req or ZERO, ZERO, enforced)
    if req is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No request is specified"
    if req_v > enf_v:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {req}"
    return None


def _ratio_error(
    kind: str, name: str, enforced: Quantity, requests: Mapping, limits: Mapping
) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    req_v, lim_v, _ = _comparable(req or ZERO, lim or ZERO, enforced)
    prefix = f"{name} max limit to request ratio per {kind} is {enforced}"
    if req is None or req_v == 0:
        return f"{prefix}, but no request is specified or request is 0"
    if lim is None or lim_v == 0:
        return f"{prefix}, but no limit is specified or limit is 0"
    ratio = lim_v / req_v
    observed, allowed = ratio, float(enforced.value())
    if enforced.value() <= _MAX_MILLI_VALUE:
        observed, allowed = ratio * 1000, float(enforced.milli_value())
    return f"{prefix}, but provided ratio is {ratio:f}" if observed > allowed else None


_POD_CHECKS = (("min", _min_error), ("max", _max_error), ("maxLimitRequestRatio", _ratio_error))
_PVC_CHECKS = (("min", _min_error), ("max", _max_request_error))


def _check(item: Mapping, checks: tuple, requests: Mapping, limits: Mapping) -> list[str]:
    errors = []
    for constraint, check in checks:
        bounds = item.get(constraint) or {}
        for name in sorted(bounds):
            error = check(item["type"], name, Quantity.decode(bounds[name]), requests, limits)
            if error:
                errors.append(error)
    return errors


def _pod_limit_errors(limitrange: Mapping, pod: Mapping) -> list[str]:
    spec = pod.get("spec") or {}
    errors = []
    for item in (limitrange.get("spec") or {}).get("limits") or ():
        if item.get("type") == "Container":
            for container, _ in containers(pod):
                resources = container.get("resources") or {}
                errors += _check(
                    item,
                    _POD_CHECKS,
                    decode_list(resources.get("requests")),
                    decode_list(resources.get("limits")),
                )
        elif item.get("type") == "Pod":
            totals = pod_requests(spec, LIMIT_RANGER), pod_limits(spec, LIMIT_RANGER)
            errors += _check(item, _POD_CHECKS, *totals)
    return errors


def _pvc_limit_errors(limitrange: Mapping, pvc: Mapping) -> list[str]:
    requests = decode_list(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
    errors = []
    for item in _items(limitrange, "PersistentVolumeClaim"):
        errors += _check(item, _PVC_CHECKS, requests, {})
    return errors


def validate_limitranges(kind: str, obj: Mapping, limitranges: Iterable[Mapping]) -> None:
    """LimitRanger's Validate on create: the first LimitRange violated refuses the request.

    Raises AdmissionError (403) listing every violation of that LimitRange.
    """
    collect = {"Pod": _pod_limit_errors, "PersistentVolumeClaim": _pvc_limit_errors}.get(kind)
    if collect is None:
        return
    for limitrange in limitranges:
        errors = collect(limitrange, obj)
        if errors:
            raise forbidden(kind, obj, aggregate(errors))
