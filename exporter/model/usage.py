"""The latest pod usage sample from metrics.k8s.io, summed per pod and per namespace.

metrics-server has no watch: each LIST is a complete, fresh sample, so the table is
swapped whole (``replace``) rather than patched. Per pod it keeps one ``(cpu, memory)``
tuple of ints (nanocores, bytes) under interned namespace names; whole PodMetrics bodies
are never kept. Namespace totals are computed once per sample, not once per read.

When the metrics API is unreachable the table is emptied (``clear``) instead of keeping
the last sample: usage that is no longer measured must not be exported, or billed as
max(request, usage), as if it were current. An empty table means "usage unknown", and
the cost model then falls back to requests, as the contract asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from exporter.model.bodies import PodMetrics
from exporter.model.compact import intern_text
from exporter.model.health import InformerHealth
from exporter.model.quantities import MAX_RESOURCE_NANOS, QuantityError, quantity_from_json

KIND = "podmetrics"  # the `kind` label of parse and API error counts

_NANO = 10**9
# metrics-server prints cpu as "<int>n" and memory as "<int>Ki" (or plain bytes); reading
# those shapes directly is 5x faster than the full parser, which keeps a 100k-pod sample
# from blocking the event loop. Anything else, or anything that large, goes the long way.
_DECIMAL_FACTORS = {"n": 1, "u": 10**3, "m": 10**6, "k": 10**12, "M": 10**15, "G": 10**18}
_BINARY_FACTORS = {"Ki": 2**10 * _NANO, "Mi": 2**20 * _NANO, "Gi": 2**30 * _NANO}
_FAST_MAX = (2**63 - 1) * _NANO  # Kubernetes caps BinarySI here; past it, let the parser cap

Usage = tuple[int, int]  # (cpu nanocores, memory bytes)


class UsageError(ValueError):
    """A PodMetrics object that cannot be decoded (the pod is skipped)."""


class UsageTable:
    """Per-pod and per-namespace usage of the last PodMetrics LIST, and whether it is live.

    ``up`` is what ``quotameter_metrics_api_up`` reports: True from a successful
    ``replace`` until the next ``clear``.
    """

    def __init__(self, *, health: InformerHealth) -> None:
        self._health = health
        self._pods: dict[str, dict[str, Usage]] = {}  # namespace -> pod name -> usage
        self._namespaces: dict[str, Usage] = {}
        self._timestamp: float | None = None
        self.up = False

    def replace(self, items: Sequence[PodMetrics], *, timestamp: float) -> int:
        """Swap in a new sample (the items of a PodMetricsList) taken at Unix `timestamp`;
        returns how many pods were skipped as malformed."""
        pods: dict[str, dict[str, Usage]] = {}
        skipped = 0
        for item in items:
            try:
                namespace, name, usage = decode_pod_metrics(item)
            except UsageError as e:
                skipped += 1
                self._record_parse_error(item, str(e))
                continue
            pods.setdefault(namespace, {})[name] = usage
        self._pods, self._namespaces = pods, {ns: _total(p.values()) for ns, p in pods.items()}
        self._timestamp, self.up = timestamp, True
        return skipped

    def clear(self) -> None:
        """Forget the sample because the metrics API is down: usage becomes unknown."""
        self._pods, self._namespaces = {}, {}
        self._timestamp, self.up = None, False

    def namespace_usage(self) -> dict[str, dict[str, int]]:
        """namespace -> {"cpu": nanocores, "memory": bytes}, summed over its sampled pods."""
        return {
            ns: {"cpu": cpu, "memory": memory} for ns, (cpu, memory) in self._namespaces.items()
        }

    def namespace_totals(self) -> Iterator[tuple[str, Usage]]:
        """(namespace, (nanocores, bytes)) of every sampled namespace, without copies."""
        return iter(self._namespaces.items())

    def pod_usage(self, namespace: str, name: str) -> Usage | None:
        """(cpu nanocores, memory bytes) of one pod, None when it is not in the sample."""
        return self._pods.get(namespace, {}).get(name)

    def pods(self) -> Iterator[tuple[str, str, Usage]]:
        """Every sampled pod as (namespace, name, usage)."""
        for namespace, pods in self._pods.items():
            for name, usage in pods.items():
                yield namespace, name, usage

    @property
    def sample_time(self) -> float | None:
        """When the sample was taken (Unix seconds), None when there is none."""
        return self._timestamp

    def age(self, now: float) -> float | None:
        """Seconds since the sample was taken, None when there is none."""
        return None if self._timestamp is None else now - self._timestamp

    def __len__(self) -> int:
        return sum(len(p) for p in self._pods.values())

    def _record_parse_error(self, item: object, reason: str) -> None:
        meta = item.get("metadata") if isinstance(item, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        namespace, name = meta.get("namespace"), meta.get("name")
        self._health.record_parse_error(
            KIND,
            namespace=namespace if isinstance(namespace, str) else "",
            name=name if isinstance(name, str) else "",
            reason=reason,
        )


def decode_pod_metrics(item: PodMetrics) -> tuple[str, str, Usage]:
    """(namespace, name, summed container usage) of one PodMetrics object.

    Raises UsageError for a missing name, a bad shape or a malformed quantity."""
    try:
        meta = item["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        containers = item.get("containers") or []
    except (KeyError, TypeError, AttributeError) as e:
        raise UsageError(f"PodMetrics without metadata: {e!r}") from e
    if not (isinstance(namespace, str) and isinstance(name, str) and namespace and name):
        raise UsageError("PodMetrics without namespace or name")
    if not isinstance(containers, list):
        raise UsageError(f"{namespace}/{name}: containers is not a list")
    cpu = memory = 0
    for container in containers:
        container_cpu, container_memory = _container_usage(container)
        cpu, memory = cpu + container_cpu, memory + container_memory
    return intern_text(namespace), name, (cpu, memory)


def _container_usage(container: object) -> Usage:
    """One container's (nanocores, bytes); a missing resource counts as 0."""
    # dict, not Mapping: decoded JSON is always a dict, and the ABC check costs 10% here.
    usage = container.get("usage") if isinstance(container, dict) else None
    if not isinstance(usage, dict):
        raise UsageError("container without a usage map")
    try:
        cpu = quantity_nanos(usage.get("cpu"))  # cores in nano-units are nanocores
        memory_nanos = quantity_nanos(usage.get("memory"))
    except QuantityError as e:
        raise UsageError(str(e)) from e
    if cpu < 0 or memory_nanos < 0:
        raise UsageError("negative usage")  # valid quantity text, but no measurement
    if cpu > MAX_RESOURCE_NANOS or memory_nanos > MAX_RESOURCE_NANOS:
        raise UsageError("usage out of range (over 2**63-1 units)")
    return cpu, -(-memory_nanos // _NANO)  # whole bytes, rounded up as Quantity.Value()


def quantity_nanos(value: object) -> int:
    """The nano-units of a JSON quantity, exactly as quantity_from_json(value).nanos."""
    if isinstance(value, str) and 0 < len(value) <= 32:
        if value[-2:] in _BINARY_FACTORS:
            digits, factor = value[:-2], _BINARY_FACTORS[value[-2:]]
        elif value[-1] in _DECIMAL_FACTORS:
            digits, factor = value[:-1], _DECIMAL_FACTORS[value[-1]]
        else:
            digits, factor = value, _NANO
        if digits.isascii() and digits.isdigit() and (nanos := int(digits) * factor) <= _FAST_MAX:
            return nanos
    return quantity_from_json(value).nanos


def _total(usages: Iterable[Usage]) -> Usage:
    cpu = memory = 0
    for pod_cpu, pod_memory in usages:
        cpu, memory = cpu + pod_cpu, memory + pod_memory
    return cpu, memory
