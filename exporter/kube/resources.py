"""The kinds quotameter watches: where each lives in the API and how it is filtered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Resource:
    """One watched kind, listed and watched across all namespaces."""

    kind: str  # the label value in metrics and logs, e.g. "pods"
    path: str  # the collection path, e.g. "/api/v1/pods"
    params: Mapping[str, str] = field(default_factory=dict)  # selectors sent on LIST and WATCH


def _core(plural: str, **params: str) -> Resource:
    return Resource(plural, f"/api/v1/{plural}", MappingProxyType(params))


RESOURCES: Mapping[str, Resource] = MappingProxyType(
    {
        r.kind: r
        for r in (
            _core("namespaces"),
            _core("pods"),
            _core("resourcequotas"),
            _core("limitranges"),
            _core("nodes"),
            _core("persistentvolumeclaims"),
            # Only quota refusals matter; the rest of the event firehose stays on the server.
            _core("events", fieldSelector="reason=FailedCreate"),
        )
    }
)

POD_METRICS_PATH = "/apis/metrics.k8s.io/v1beta1/pods"
