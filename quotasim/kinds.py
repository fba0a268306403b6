"""The kinds the simulated control plane acts on, by name (from the served resources)."""

from __future__ import annotations

from quotasim.resources import BY_PATH

POD = BY_PATH[("", "v1", "pods")]
NAMESPACE = BY_PATH[("", "v1", "namespaces")]
QUOTA = BY_PATH[("", "v1", "resourcequotas")]
LIMITRANGE = BY_PATH[("", "v1", "limitranges")]
NODE = BY_PATH[("", "v1", "nodes")]
PVC = BY_PATH[("", "v1", "persistentvolumeclaims")]
EVENT = BY_PATH[("", "v1", "events")]
DEPLOYMENT = BY_PATH[("apps", "v1", "deployments")]
