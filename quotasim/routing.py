"""Routing: what a request path under /api/v1 or /apis/<group>/<version> names."""

from __future__ import annotations

from dataclasses import dataclass

from quotasim.apierrors import resource_not_found
from quotasim.resources import BY_PATH, ResourceType


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path names: a resource type, and maybe a namespace, name, subresource."""

    rtype: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_path(group: str, version: str, parts: list[str]) -> Target:
    """Resolve the path segments after /api/v1 or /apis/<group>/<version>."""
    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces" and (group, version, parts[2]) in BY_PATH:
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3 or (group, version, parts[0]) not in BY_PATH:
        raise resource_not_found()
    rtype = BY_PATH[(group, version, parts[0])]
    if namespace is not None and not rtype.namespaced:
        raise resource_not_found()
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise resource_not_found()
    return Target(rtype, namespace, name, sub)
