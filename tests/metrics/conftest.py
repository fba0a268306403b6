"""Fixtures of the metrics tests: the reference and demo scenarios behind a Scrape."""

from __future__ import annotations

import pytest

from quotasim.cluster import Cluster
from quotasim.scenario import load_scenario

from .helpers import Scrape


@pytest.fixture
def scrape(reference_cluster: Cluster) -> Scrape:
    return Scrape(reference_cluster)


@pytest.fixture
def demo() -> Scrape:
    cluster = Cluster(seed=1)
    load_scenario(cluster, "demo")
    return Scrape(cluster)
