"""Fleet mode, pure parts: day windows, the PromQL text, folding answers into totals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exporter.cost.records import Owner
from exporter.fleet.promapi import Answer, Sample
from exporter.fleet.queries import (
    QUERIES,
    Collector,
    Window,
    allocation_query,
    cost_query,
    coverage_query,
    first_query,
    idle_units_query,
    narrow,
    resource_index,
    step_for,
    windows,
)

JAN = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
T0 = int(JAN[0].timestamp())


def test_a_past_month_is_one_window_per_utc_day() -> None:
    plan = windows(*JAN, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert len(plan) == 31
    assert plan[0] == Window(day="2026-01-01", at=T0 + 86400, seconds=86400, step=60)
    assert plan[-1] == Window(day="2026-01-31", at=int(JAN[1].timestamp()), seconds=86400, step=60)


def test_the_current_month_stops_at_now_with_a_finer_step() -> None:
    plan = windows(*JAN, now=datetime(2026, 1, 2, 6, 30, 45, tzinfo=UTC))
    assert plan == [
        Window(day="2026-01-01", at=T0 + 86400, seconds=86400, step=60),
        Window(day="2026-01-02", at=T0 + 86400 + 23445, seconds=23445, step=16),
    ]
    fresh = windows(*JAN, now=datetime(2026, 1, 1, 0, 2, 0, tzinfo=UTC))
    assert fresh == [Window(day="2026-01-01", at=T0 + 120, seconds=120, step=1)]
    assert windows(*JAN, now=datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)) == []
    assert windows(*JAN, now=datetime(2025, 12, 31, tzinfo=UTC)) == []
    assert step_for(86400 * 2) == 60


def test_windows_are_cut_to_where_the_data_begins() -> None:
    day = Window(day="2026-01-01", at=T0 + 86400, seconds=86400, step=60)
    assert narrow(day, T0 + 60) == day  # data from the start: unchanged
    assert narrow(day, T0 - 999) == day  # yesterday's series continuing
    assert narrow(day, None) is None  # no cost data at all: nothing to ask
    # a daemon up for the last two minutes: 3 minutes looked at, 1 s instants
    assert narrow(day, T0 + 86400 - 120) == Window("2026-01-01", T0 + 86400, 180, 1)
    assert narrow(day, T0 + 86400) == Window("2026-01-01", T0 + 86400, 60, 1)
    assert narrow(day, T0 + 43200) == Window("2026-01-01", T0 + 86400, 43260, 30)


def test_query_texts() -> None:
    by = "cluster, namespace, team, vcluster, virtual_namespace, resource"
    assert cost_query(86400, 60) == f"sum by ({by}) (increase(quotameter_cost_total[86400s]))"
    assert allocation_query(86400, 60) == (
        f"sum by ({by}) (sum_over_time((sum by ({by}) (quotameter_allocation))[86399s:60s]))"
    )
    any_cost = "group by (cluster) (quotameter_cost_total)"
    assert coverage_query(3600, 30) == f"count_over_time(({any_cost})[3599s:30s]) or {any_cost}"
    idle = idle_units_query(86400, 60)
    assert "clamp_min(sum by (cluster, resource) (quotameter_cluster_capacity) - " in idle
    assert "or 0 * sum by (cluster, resource) (quotameter_cluster_capacity)" in idle
    assert first_query(600, 1) == (
        f"min_over_time(timestamp({any_cost})[599s:1s]) or ({any_cost} * 0 + time())"
    )
    assert set(QUERIES) == {"cost", "allocation", "idle_cost", "idle_units", "coverage", "first"}


@pytest.mark.parametrize(
    ("label", "index"),
    [("cpu", 0), ("memory", 1), ("gpu", 2), ("nvidia.com/gpu", 2), ("amd.com/GPU", 2),
     ("storage", 3), ("ephemeral-storage", None), ("pods", None)],
)  # fmt: skip
def test_resource_labels_map_to_columns(label: str, index: int | None) -> None:
    assert resource_index(label) == index


def sample(value: float, **labels: str) -> Sample:
    return Sample(labels=labels, value=value)


def test_collector_folds_answers_into_clusters_and_units() -> None:
    fold = Collector(default_cluster="home")

    def add(kind: str, *samples: Sample) -> None:
        fold.add(kind, Answer(list(samples), []), step=60)

    add("cost", sample(1.5, cluster="a", namespace="dev", team="t", resource="cpu"))
    add("cost", sample(2.0, namespace="prod", team="p", resource="memory"))
    gib2 = 2.0 * 2**30 * 1440  # 1440 one-minute instants of 2 GiB = 48 GiB-hours
    add("allocation", sample(gib2, cluster="a", namespace="dev", team="t", resource="memory"))
    add("idle_cost", sample(144.0, cluster="a", resource="cpu"))  # 0.1 per hour all day
    add("idle_units", sample(4320.0, cluster="a", resource="cpu"))
    add("coverage", sample(720.0))
    add("cost", sample(9.0, cluster="a", namespace="x", team="y", resource="pods"))

    a, home = fold.clusters["a"], fold.clusters["home"]
    dev = a.owners[Owner("dev", "t")]
    assert dev.cost == [1.5, 0.0, 0.0, 0.0]
    assert dev.unit_seconds == [0.0, 48.0 * 3600, 0.0, 0.0]
    assert a.idle.cost == [pytest.approx(2.4), 0.0, 0.0, 0.0]
    assert a.idle.unit_seconds == [4320.0 * 60, 0.0, 0.0, 0.0]
    assert home.owners[Owner("prod", "p")].cost == [0.0, 2.0, 0.0, 0.0]
    assert home.observed_seconds == 720.0 * 60
    assert fold.unknown_resources == {"pods"}
    assert fold.seen == {"cost", "allocation", "idle_cost", "idle_units", "coverage"}
