"""The ResourceQuota controller's recount: status.used from the namespace's objects.

For each evaluator that accounts for some of the quota's hard keys, every key starts at
zero and each object the quota's scopes select adds its usage; keys no evaluator knows
are left out of status.used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quotasim.podresources import ResourceList
from quotasim.quantities import ZERO, Quantity
from quotasim.quota import scopes
from quotasim.quota.evaluators import (
    LEGACY_COUNTS,
    ClaimEvaluator,
    Evaluator,
    PodEvaluator,
)


def _in_namespace(obj: Mapping, namespace: str | None) -> bool:
    own = (obj.get("metadata") or {}).get("namespace")
    return namespace is None or own is None or own == namespace


def _usage_stats(
    quota: Mapping, evaluator: Evaluator, items: Iterable[Mapping], keys: list[str]
) -> ResourceList:
    """CalculateUsageStats: zero for each key, plus the usage of each selected object."""
    used: ResourceList = dict.fromkeys(keys, ZERO)
    for item in items:
        if evaluator.selected(quota, item):
            usage = evaluator.usage(item)
            for key in keys:
                if key in usage:
                    used[key] = used[key] + usage[key]
    return used


def counted_keys(hard: Iterable[str]) -> list[str]:
    """The object-count keys of a quota that neither pods nor claims account for."""
    taken = {*PodEvaluator().matching(hard), *ClaimEvaluator().matching(hard)}
    return [k for k in hard if k not in taken and (k.startswith("count/") or k in LEGACY_COUNTS)]


def _count_stats(quota: Mapping, keys: list[str], counts: Mapping[str, int]) -> ResourceList:
    if scopes.selectors(quota):
        return dict.fromkeys(keys, ZERO)  # no scope selects a counted object
    return {key: Quantity.count(counts.get(LEGACY_COUNTS.get(key, key), 0)) for key in keys}


def quota_used(
    quota: Mapping,
    *,
    pods: Iterable[Mapping],
    pvcs: Iterable[Mapping],
    object_counts: Mapping[str, int],
) -> dict[str, str]:
    """status.used of a quota, for the keys of spec.hard that are accounted for.

    Pods and claims of other namespaces are ignored; `object_counts` holds the number of
    objects per count/<resource> key in the quota's namespace.
    """
    hard = list((quota.get("spec") or {}).get("hard") or {})
    namespace = (quota.get("metadata") or {}).get("namespace")
    used: ResourceList = {}
    for evaluator, items in ((PodEvaluator(), pods), (ClaimEvaluator(), pvcs)):
        keys = evaluator.matching(hard)
        if keys:
            mine = (i for i in items if _in_namespace(i, namespace))
            used |= _usage_stats(quota, evaluator, mine, keys)
    used |= _count_stats(quota, counted_keys(hard), object_counts)
    return {key: str(used[key]) for key in hard if key in used}
