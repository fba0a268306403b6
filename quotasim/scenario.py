"""Scenarios: directories of YAML manifests loaded into a simulated cluster,
the built-in ones (`reference`, `demo`), and synthetic clusters for benchmarks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from quotasim.cluster import Cluster

BUILTIN_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario directory or manifest that cannot be loaded; names the file."""


def builtin_names() -> list[str]:
    """The scenarios shipped in the package."""
    return sorted(p.name for p in BUILTIN_DIR.iterdir() if p.is_dir())


def scenario_dir(name_or_path: str) -> Path:
    """A built-in scenario's directory, or the given directory."""
    path = BUILTIN_DIR / name_or_path
    if path.is_dir():
        return path
    path = Path(name_or_path)
    if not path.is_dir():
        raise ScenarioError(
            f"no scenario {name_or_path!r}: not one of {builtin_names()} and not a directory"
        )
    return path


def read_manifests(path: Path) -> Iterator[dict]:
    """Every object in the *.yaml / *.yml files of a directory (not its subdirectories)."""
    if path.is_file():
        yield from read_manifest_file(path)
        return
    for file in sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")):
        yield from read_manifest_file(file)


def read_manifest_file(file: Path) -> Iterator[dict]:
    """The objects of one YAML file (several documents, or a v1 List)."""
    try:
        docs = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as e:
        raise ScenarioError(f"{file}: {e}") from e
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or "kind" not in doc:
            raise ScenarioError(f"{file}: every document must be a Kubernetes object")
        yield from doc.get("items", []) if doc["kind"].endswith("List") else [doc]


def load_scenario(cluster: Cluster, name_or_path: str) -> int:
    """Load a scenario through the API's admission; returns how many objects it wrote.

    A scenario may start with others: its `include.txt` names them, one per line.
    """
    path = scenario_dir(name_or_path)
    loaded = 0
    include = path / "include.txt"
    if include.is_file():
        for line in include.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                loaded += load_scenario(cluster, line.strip())
    return loaded + len(cluster.apply_objects(read_manifests(path)))


def synthetic_manifests(
    *, namespaces: int, pods_per_namespace: int, nodes: int = 0, teams: int = 50
) -> Iterable[dict]:
    """A large cluster: per namespace a quota, a LimitRange and bare pods with resources."""
    nodes = nodes or max(1, namespaces * pods_per_namespace // 100)
    for n in range(nodes):
        yield {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": f"node-{n:05d}",
                "labels": {"node.kubernetes.io/instance-type": "m6i.4xlarge"},
            },
            "status": {
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "allocatable": {"cpu": "15800m", "memory": "62Gi", "pods": "110"},
            },
        }
    for i in range(namespaces):
        yield from _synthetic_namespace(i, pods_per_namespace, teams)


def _synthetic_namespace(i: int, pods: int, teams: int) -> Iterator[dict]:
    ns = f"ns-{i:05d}"
    yield {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": ns, "labels": {"team": f"team-{i % teams:03d}"}},
    }
    yield _synthetic_quota(ns)
    yield _synthetic_limitrange(ns)
    for p in range(pods):
        yield _synthetic_pod(ns, p)


def _synthetic_quota(ns: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute", "namespace": ns},
        "spec": {
            "hard": {
                "requests.cpu": "40",
                "requests.memory": "80Gi",
                "limits.cpu": "80",
                "limits.memory": "160Gi",
                "pods": "200",
            }
        },
    }


def _synthetic_limitrange(ns: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "defaults", "namespace": ns},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    "max": {"cpu": "4", "memory": "8Gi"},
                }
            ]
        },
    }


def _synthetic_pod(ns: str, p: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"app-{p:03d}",
            "namespace": ns,
            "labels": {"app": f"app-{p % 5}"},
        },
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example.com/app:1",
                    "resources": {
                        "requests": {
                            "cpu": f"{100 + 50 * (p % 4)}m",
                            "memory": f"{128 * (1 + p % 3)}Mi",
                        },
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    },
                }
            ]
        },
    }


def load_synthetic(cluster: Cluster, *, namespaces: int, pods_per_namespace: int) -> int:
    """Bulk-load a synthetic cluster, skipping per-pod quota admission for speed."""
    return cluster.bulk_load(
        synthetic_manifests(namespaces=namespaces, pods_per_namespace=pods_per_namespace)
    )
