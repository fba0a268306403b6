"""The API resources the simulated server serves, and its discovery documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served resource: where it lives in the URL space and how it is described."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    watchable: bool = True
    subresources: tuple[str, ...] = field(default=())

    @property
    def api_version(self) -> str:
        """The apiVersion field of objects of this kind."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """The kind of the list wrapper returned by LIST."""
        return f"{self.kind}List"


_READ_ONLY = ("get", "list")

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), subresources=("status",)),
    ResourceType("", "v1", "Pod", "pods", True, ("po",), subresources=("status",)),
    ResourceType(
        "", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), subresources=("status",)
    ),
    ResourceType("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    ResourceType("", "v1", "Node", "nodes", False, ("no",), subresources=("status",)),
    ResourceType(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        True,
        ("pvc",),
        subresources=("status",),
    ),
    ResourceType("", "v1", "Event", "events", True, ("ev",)),
    ResourceType(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        True,
        ("deploy",),
        subresources=("status", "scale"),
    ),
    ResourceType(
        "metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=_READ_ONLY, watchable=False
    ),
    ResourceType(
        "metrics.k8s.io",
        "v1beta1",
        "NodeMetrics",
        "nodes",
        False,
        verbs=_READ_ONLY,
        watchable=False,
    ),
)

BY_PATH: dict[tuple[str, str, str], ResourceType] = {
    (r.group, r.version, r.plural): r for r in RESOURCES
}
BY_KIND: dict[tuple[str, str], ResourceType] = {(r.api_version, r.kind): r for r in RESOURCES}
GROUPS: dict[str, str] = {r.group: r.version for r in RESOURCES if r.group}


def group_resource(kind: str, obj: Mapping) -> tuple[str, str]:
    """(group, plural resource) of an object, as the API server names it in errors."""
    api_version = obj.get("apiVersion") or "v1"
    served = BY_KIND.get((api_version, kind))
    if served is not None:
        return served.group, served.plural
    # apimachinery's UnsafeGuessKindToResource rule, for kinds the simulator does not serve.
    singular = kind.lower()
    plural = (
        singular[:-1] + "ies"
        if singular.endswith("y")
        else singular + ("es" if singular.endswith("s") else "s")
    )
    return api_version.rpartition("/")[0], plural


SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4-quotameter-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def resource_list(group: str, version: str) -> dict:
    """The APIResourceList served at /api/v1 or /apis/<group>/<version>."""
    served = [r for r in RESOURCES if r.group == group and r.version == version]
    resources: list[dict] = []
    for r in served:
        resources.append(
            {
                "name": r.plural,
                "singularName": r.kind.lower(),
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
                **({"shortNames": list(r.short_names)} if r.short_names else {}),
            }
        )
        for sub in r.subresources:
            verbs = ["get", "patch", "update"]
            resources.append(
                {
                    "name": f"{r.plural}/{sub}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": verbs,
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def group_list() -> dict:
    """The APIGroupList served at /apis."""
    groups = []
    for group, version in GROUPS.items():
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def core_versions(server_address: str) -> dict:
    """The APIVersions document served at /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }
