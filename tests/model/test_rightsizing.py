"""Quota right-sizing on literal histories: a steady namespace, a growing one, one that
was refused, one with a single spike, and one that is new (SPEC "Quota right-sizing")."""

from __future__ import annotations

import pytest

from exporter.model.peaks import DemandDay, QuotaDay
from exporter.model.rightsizing import (
    AdviceParamError,
    parse_headroom,
    parse_window_days,
    percentile,
    quantity_text,
    recommend,
    round_up,
    unit_of,
)

GI, MI = 2.0**30, 2.0**20


def days(
    peaks: list[float],
    *,
    hard: float,
    resource: str = "requests.cpu",
    refusals: dict[int, int] | None = None,
    namespace: str = "dev",
) -> list[QuotaDay]:
    """One row per day from 2026-11-01, with these daily peaks of used; used at the end
    of each day is the peak."""
    refusals = refusals or {}
    day = "2026-11-{:02d}".format
    row = QuotaDay  # (day, namespace, team, quota, resource, used_peak, used, hard, refusals)
    return [
        row(day(i + 1), namespace, "web", "compute", resource, peak, peak, hard, refusals.get(i, 0))
        for i, peak in enumerate(peaks)
    ]


def test_a_steady_namespace_is_fit_and_gets_its_p95_plus_20_percent() -> None:
    history = days([2.0] * 30, hard=4.0)  # 50% every day
    [advice] = recommend(history)
    assert (advice.verdict, advice.suggested, advice.days) == ("fit", 2.4, 30)
    assert advice.used_peak_p95 == 2.0
    assert advice.saturation_peak == 0.5
    assert (advice.days_saturated, advice.refusals) == (0, 0)
    assert quantity_text(2.4, advice.unit) == "2400m"
    assert advice.reason == "peak 50% of hard; 95th percentile 2"


def test_a_growing_namespace_tracks_its_recent_peaks() -> None:
    # 1.0 to 3.9 cores over 30 days against a hard of 4: p95 by linear interpolation
    # between the 28th and 29th of 30 sorted peaks (rank 0.95 * 29 = 27.55).
    peaks = [1.0 + 0.1 * i for i in range(30)]
    [advice] = recommend(days(peaks, hard=4.0))
    assert advice.used_peak_p95 == pytest.approx(3.755)
    assert advice.suggested == 4.6  # 3.755 * 1.2 = 4.506, rounded up to 100m
    # 3.6..3.9 are >= 90% of 4: 4 of 30 days, not most of them
    assert (advice.days_saturated, advice.verdict) == (4, "fit")


def test_a_refusal_in_the_window_makes_the_key_tight() -> None:
    history = days([1.0] * 20, hard=4.0, refusals={12: 3})  # 25%, yet refused
    [advice] = recommend(history)
    assert (advice.verdict, advice.refusals) == ("tight", 3)
    assert advice.reason == "3 refused in the window"
    assert advice.suggested == 1.2


def test_saturated_on_most_days_is_tight_and_the_suggestion_rises_above_hard() -> None:
    history = days([3.8] * 16 + [2.0] * 14, hard=4.0)  # 95% on 16 of 30 days
    [advice] = recommend(history)
    assert (advice.verdict, advice.days_saturated) == ("tight", 16)
    assert advice.suggested == 4.6  # p95 3.8 * 1.2 = 4.56 -> 4.6
    assert advice.reason == "at 90% or more on 16 of 30 days"


def test_half_the_days_saturated_is_not_most_of_them() -> None:
    [advice] = recommend(days([3.8] * 15 + [2.0] * 15, hard=4.0))
    assert advice.verdict == "fit"


def test_a_single_spike_does_not_set_the_suggestion() -> None:
    # 29 quiet days at 0.5 cores and one at 3.9: the 95th percentile ignores the spike
    # (rank 27.55 of 0..29 falls among the quiet days), and the key is not saturated.
    history = days([0.5] * 14 + [3.9] + [0.5] * 15, hard=4.0)
    [advice] = recommend(history)
    assert advice.used_peak_p95 == 0.5
    assert advice.suggested == 0.6
    assert (advice.verdict, advice.saturation_peak) == ("fit", 0.975)


def test_a_new_namespace_has_insufficient_history_and_no_suggestion() -> None:
    [advice] = recommend(days([1.0] * 6, hard=4.0))
    assert (advice.verdict, advice.suggested, advice.days) == ("insufficient-history", None, 6)
    assert advice.reason == "6 of 7 days of history needed"
    [week] = recommend(days([1.0] * 7, hard=4.0))
    assert (week.verdict, week.suggested) == ("fit", 1.2)


def test_loose_needs_every_day_of_the_window_below_30_percent() -> None:
    [loose] = recommend(days([1.0] * 30, hard=4.0 * 2))  # 12.5% every day of 30
    assert (loose.verdict, loose.suggested) == ("loose", 1.2)
    assert loose.reason == "below 30% on all 30 days (peak 12% of hard)"
    [young] = recommend(days([1.0] * 20, hard=8.0))  # 20 days: not the whole window
    assert young.verdict == "fit"
    assert young.reason == "below 30% on 20 days, not yet the whole 30"
    [short] = recommend(days([1.0] * 10, hard=8.0), window_days=10)
    assert short.verdict == "loose"
    [once] = recommend(days([1.0] * 29 + [2.5], hard=8.0))  # one day at 31%
    assert once.verdict == "fit"


def test_the_suggestion_is_never_below_the_current_used() -> None:
    # Quiet for a month, then 3.5 cores in use today: p95 * 1.2 would say 1.2.
    history = days([1.0] * 29 + [3.5], hard=4.0)
    history[-1] = QuotaDay("2026-11-30", "dev", "web", "compute", "requests.cpu", 3.5, 3.5, 4.0, 0)
    [advice] = recommend(history)
    assert advice.suggested == 3.5


def test_memory_rounds_to_mi_below_a_gi_and_to_gi_above() -> None:
    [small] = recommend(days([300 * MI] * 10, hard=GI, resource="limits.memory"))
    assert small.suggested == 360 * MI
    assert quantity_text(small.suggested, small.unit) == "360Mi"
    [large] = recommend(days([3 * GI] * 10, hard=8 * GI, resource="requests.memory"))
    assert large.suggested == 4 * GI  # 3.6Gi rounded up to a whole Gi
    assert quantity_text(large.suggested, large.unit) == "4Gi"


def test_counts_round_up_to_a_whole_number() -> None:
    [pods] = recommend(days([9.0] * 10, hard=20.0, resource="pods"))
    assert (pods.unit, pods.suggested) == ("count", 11.0)  # 10.8 -> 11
    assert quantity_text(11.0, pods.unit) == "11"


def test_a_zero_hard_is_neither_loose_nor_saturated() -> None:
    [advice] = recommend(days([0.0] * 10, hard=0.0, resource="count/services"))
    assert (advice.verdict, advice.suggested, advice.saturation_peak) == ("fit", 0.0, None)


def test_only_the_keys_asked_for_and_sorted() -> None:
    history = days([1.0] * 8, hard=4.0, namespace="prod") + days([1.0] * 8, hard=4.0)
    history += days([5.0] * 8, hard=10.0, resource="pods")
    found = recommend(history)
    assert [(a.namespace, a.resource) for a in found] == [
        ("dev", "pods"), ("dev", "requests.cpu"), ("prod", "requests.cpu"),
    ]  # fmt: skip
    only = recommend(history, keys={("prod", "compute", "requests.cpu")})
    assert [(a.namespace, a.resource) for a in only] == [("prod", "requests.cpu")]


def test_the_namespace_demand_is_given_for_compute_keys() -> None:
    demand = [
        DemandDay("2026-11-01", "dev", "web", "cpu", 2.0, 0.7),
        DemandDay("2026-11-02", "dev", "web", "cpu", 2.5, None),
        DemandDay("2026-11-02", "dev", "web", "memory", GI, GI / 2),
    ]
    pods, cpu = recommend(
        days([2.0] * 8, hard=4.0) + days([3.0] * 8, hard=10.0, resource="pods"), demand=demand
    )
    assert (cpu.requests_peak, cpu.usage_peak) == (2.5, 0.7)
    assert (pods.requests_peak, pods.usage_peak) == (None, None)


def test_headroom_is_a_parameter() -> None:
    [advice] = recommend(days([2.0] * 10, hard=4.0), headroom=0.5)
    assert advice.suggested == 3.0
    [none] = recommend(days([2.0] * 10, hard=4.0), headroom=0.0)
    assert none.suggested == 2.0


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0], 0.95) == 1.0
    assert percentile([1.0, 2.0], 0.95) == pytest.approx(1.95)
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile(list(range(1, 21)), 0.95) == pytest.approx(19.05)


@pytest.mark.parametrize(
    ("amount", "unit", "rounded", "text"),
    [
        (0.0, "cores", 0.0, "0"),
        (0.01, "cores", 0.1, "100m"),
        (2.4000000000000004, "cores", 2.4, "2400m"),  # float noise is not a step up
        (2.41, "cores", 2.5, "2500m"),
        (3.0, "cores", 3.0, "3"),
        (1.0, "bytes", MI, "1Mi"),
        (GI - 1, "bytes", GI, "1Gi"),
        (GI + 1, "bytes", 2 * GI, "2Gi"),
        (12.2, "count", 13.0, "13"),
    ],
)
def test_round_up_and_quantity_text(amount: float, unit: str, rounded: float, text: str) -> None:
    assert round_up(amount, unit) == rounded
    assert quantity_text(round_up(amount, unit), unit) == text


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("requests.cpu", "cores"), ("limits.cpu", "cores"), ("cpu", "cores"),
        ("requests.memory", "bytes"), ("memory", "bytes"), ("requests.storage", "bytes"),
        ("requests.ephemeral-storage", "bytes"), ("hugepages-2Mi", "bytes"),
        ("fast.storageclass.storage.k8s.io/requests.storage", "bytes"),
        ("pods", "count"), ("count/deployments.apps", "count"),
        ("requests.nvidia.com/gpu", "count"), ("persistentvolumeclaims", "count"),
    ],
)  # fmt: skip
def test_unit_of_quota_keys(key: str, unit: str) -> None:
    assert unit_of(key) == unit


FULL_WIDTH_30 = "\uff13\uff10"


@pytest.mark.parametrize("value", ["6", "91", "30.5", "", "thirty", "-7", FULL_WIDTH_30, None, 1e3])
def test_a_bad_window_names_the_parameter(value: object) -> None:
    with pytest.raises(AdviceParamError, match="window_days must be a whole number of days"):
        parse_window_days(value)


def test_good_windows_and_headrooms_parse() -> None:
    assert (parse_window_days("7"), parse_window_days(90), parse_window_days(" 30 ")) == (7, 90, 30)
    assert (parse_headroom("0.2"), parse_headroom(0), parse_headroom("10")) == (0.2, 0.0, 10.0)


@pytest.mark.parametrize("value", ["-0.1", "10.5", "nan", "inf", "20%", "", None])
def test_a_bad_headroom_names_the_parameter(value: object) -> None:
    with pytest.raises(AdviceParamError, match="headroom must be a fraction") as caught:
        parse_headroom(value)
    assert caught.value.parameter == "headroom"
