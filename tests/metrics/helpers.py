"""A ClusterState fed from a simulated cluster, the collectors and the text renderer over it."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.metrics.collector import register_collectors
from exporter.metrics.exposition import TextExposition
from exporter.model.health import InformerHealth
from exporter.model.state import ClusterState
from exporter.model.usage import UsageTable
from quotasim.cluster import EVENT, LIMITRANGE, NAMESPACE, NODE, POD, PVC, QUOTA, Cluster
from quotasim.scenario import read_manifest_file, scenario_dir

KINDS = (NAMESPACE, POD, QUOTA, LIMITRANGE, NODE, PVC, EVENT)
TEAMS = {"dev": "agents", "staging": "agents", "prod": "agents-prod"}
GI = 2**30

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Scrape:
    """A ClusterState fed from a simulated cluster, and a registry to read it through."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster, self.health = cluster, InformerHealth()
        self.state = ClusterState(health=self.health)
        self.usage = UsageTable(health=self.health)
        self.registry = CollectorRegistry()
        register_collectors(
            self.registry, state=self.state, health=self.health, version="1.2.3", usage=self.usage
        )
        self.text = TextExposition(
            state=self.state, health=self.health, version="1.2.3", usage=self.usage
        )
        for rtype in KINDS:
            self.health.record_relist(rtype.plural, "initial")
            self.state.begin_relist(rtype.plural)
            served: list[Any] = list(cluster.store.iter(rtype))  # JSON, as the API sends it
            self.state.add_listed(rtype.plural, served)
            self.state.end_relist(rtype.plural)
            self.health.mark_synced(rtype.plural)
        self.rv = cluster.store.rv

    def catch_up(self) -> None:
        """Apply every change since the last call, as the watch streams would."""
        for event in self.cluster.store.events_since(self.rv):
            self.health.record_event(event.rtype.plural, event.type, timestamp=1700000000.0)
            sent: Any = event.obj  # likewise
            self.state.apply(event.rtype.plural, event.type, sent)
        self.rv = self.cluster.store.rv

    def value(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, labels)

    def quota(self, metric: str, ns: str, resource: str) -> float | None:
        labels = {"namespace": ns, "team": TEAMS[ns], "quota": f"{ns}-quota", "resource": resource}
        return self.value(f"quotameter_quota_{metric}", **labels)

    def series(self, namespace: str) -> list[str]:
        """Every exported sample line that names the namespace."""
        text = generate_latest(self.registry).decode()
        return [line for line in text.splitlines() if f'namespace="{namespace}"' in line]


def create_agent_worker(scrape: Scrape) -> None:
    path = scenario_dir("reference") / "later" / "agent-worker.yaml"
    (body,) = read_manifest_file(path)
    scrape.cluster.create(POD, body, namespace="dev")
    scrape.catch_up()


def parsed(text: bytes) -> tuple[Samples, dict[str, str]]:
    """Samples keyed by (name, sorted labels), and each family's type, from a text scrape."""
    samples: Samples = {}
    types = {}
    for family in text_string_to_metric_families(text.decode()):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = sample.value
    return samples, types
