"""ResourceQuota scopes: a quota's scopes and scopeSelector, and which pods they select.

Only the pod evaluator knows scopes; for every other kind a scope selects nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from quotasim.qos import BEST_EFFORT, qos_class

PRIORITY_CLASS = "PriorityClass"


def selectors(quota: Mapping) -> list[Mapping]:
    """The quota's scopes as selector terms (a plain scope is an Exists term)."""
    spec = quota.get("spec") or {}
    plain = [{"scopeName": name, "operator": "Exists"} for name in spec.get("scopes") or ()]
    chosen = (spec.get("scopeSelector") or {}).get("matchExpressions") or ()
    return [*plain, *chosen]


def is_terminating(spec: Mapping) -> bool:
    """A pod with a non-negative activeDeadlineSeconds is Terminating."""
    deadline = spec.get("activeDeadlineSeconds")
    return deadline is not None and deadline >= 0


def is_best_effort(pod: Mapping) -> bool:
    """GetPodQOS: the stored status.qosClass, else the class computed from the spec."""
    stored = (pod.get("status") or {}).get("qosClass")
    return (stored or qos_class(pod.get("spec") or {})) == BEST_EFFORT


def _cross_namespace(term: Mapping) -> bool:
    return bool(term.get("namespaces")) or term.get("namespaceSelector") is not None


def uses_cross_namespace_affinity(spec: Mapping) -> bool:
    """Whether any pod (anti-)affinity term reaches into other namespaces."""
    affinity = spec.get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        terms = list(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or ())
        for weighted in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or ():
            terms.append(weighted.get("podAffinityTerm") or {})
        if any(_cross_namespace(term) for term in terms):
            return True
    return False


def _priority_class_selects(term: Mapping, priority_class: str) -> bool:
    """A label selector over {"PriorityClass": name}, empty when the pod names none."""
    operator, values = term.get("operator"), term.get("values") or ()
    if operator == "Exists":
        return bool(priority_class)
    if operator == "DoesNotExist":
        return not priority_class
    if operator == "In":
        return bool(priority_class) and priority_class in values
    if operator == "NotIn":
        return not priority_class or priority_class not in values
    return False


def pod_selected_by(term: Mapping, pod: Mapping) -> bool:
    """podMatchesScopeFunc: whether one scope term selects the pod."""
    spec = pod.get("spec") or {}
    scope = term.get("scopeName")
    if scope == PRIORITY_CLASS:
        return _priority_class_selects(term, spec.get("priorityClassName") or "")
    if scope in ("Terminating", "NotTerminating"):
        return is_terminating(spec) == (scope == "Terminating")
    if scope in ("BestEffort", "NotBestEffort"):
        return is_best_effort(pod) == (scope == "BestEffort")
    if scope == "CrossNamespacePodAffinity":
        return uses_cross_namespace_affinity(spec)
    return False  # VolumeAttributesClass and unknown scopes select no pod


def pod_in_scope(quota: Mapping, pod: Mapping) -> bool:
    """Whether every scope term of the quota selects the pod (no terms: every pod)."""
    return all(pod_selected_by(term, pod) for term in selectors(quota))
