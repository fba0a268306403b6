"""LimitRanger: defaults a pod's requests and limits on create, then refuses pods and claims
that break a LimitRange's min, max or maxLimitRequestRatio."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from exporter.model.podresources import default_requests_from_limits, pod_limits, pod_requests
from exporter.model.quantities import ZERO, Quantity, quantity_from_json
from quotasim.admission import aggregate, forbidden, pod_containers

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
            values[name] = str(quantity_from_json(defaults[name]))
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
    for container, _ in pod_containers(pod):
        container["resources"] = default_requests_from_limits(container)
    for limitrange in limitranges:
        requests, limits = container_defaults(limitrange)
        notes = [
            note
            for container, label in pod_containers(pod)
            for note in _merge_container(container, label, requests, limits)
        ]
        if notes:
            annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


# -- validation (Validate) -----------------------------------------------------------------


def _comparable(*values: Quantity) -> list[int]:
    """Go's requestLimitEnforcedValues: milli-units when all fit, else whole units (ceil)."""
    units = [-(-q.nanos // 10**9) for q in values]
    if all(u <= _MAX_MILLI_VALUE for u in units):
        return [-(-q.nanos // 10**6) for q in values]
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
    enforced_units = -(-enforced.nanos // 10**9)
    observed, allowed = ratio, float(enforced_units)
    if enforced_units <= _MAX_MILLI_VALUE:
        observed, allowed = ratio * 1000, float(-(-enforced.nanos // 10**6))
    return f"{prefix}, but provided ratio is {ratio:f}" if observed > allowed else None


_POD_CHECKS = (("min", _min_error), ("max", _max_error), ("maxLimitRequestRatio", _ratio_error))
_PVC_CHECKS = (("min", _min_error), ("max", _max_request_error))


def _check(item: Mapping, checks: tuple, requests: Mapping, limits: Mapping) -> list[str]:
    errors = []
    for constraint, check in checks:
        bounds = item.get(constraint) or {}
        for name in sorted(bounds):
            error = check(item["type"], name, quantity_from_json(bounds[name]), requests, limits)
            if error:
                errors.append(error)
    return errors


def _parsed(values: Mapping | None) -> dict[str, Quantity]:
    return {name: quantity_from_json(v) for name, v in (values or {}).items()}


def _pod_limit_errors(limitrange: Mapping, pod: Mapping) -> list[str]:
    spec = pod.get("spec") or {}
    # LimitRanger's pod totals honour pod-level resources (the contract treats that feature
    # as on) but, unlike quota, leave out spec.overhead.
    bare = {k: v for k, v in spec.items() if k != "overhead"}
    errors = []
    for item in (limitrange.get("spec") or {}).get("limits") or ():
        if item.get("type") == "Container":
            for container, _ in pod_containers(pod):
                resources = container.get("resources") or {}
                errors += _check(
                    item,
                    _POD_CHECKS,
                    _parsed(resources.get("requests")),
                    _parsed(resources.get("limits")),
                )
        elif item.get("type") == "Pod":
            errors += _check(item, _POD_CHECKS, pod_requests(bare), pod_limits(bare))
    return errors


def _pvc_limit_errors(limitrange: Mapping, pvc: Mapping) -> list[str]:
    requests = _parsed(((pvc.get("spec") or {}).get("resources") or {}).get("requests"))
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
