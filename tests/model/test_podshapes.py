"""Pod shapes: decoded once per distinct container resources, and never confused with a
spec that only looks equal (1 vs "1" vs true), whatever the order of decoding."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.model.bodies import Container, PodSpec
from exporter.model.compact import resource_value
from exporter.model.podshapes import PodShape, decode_shape, pod_shape
from exporter.model.quantities import QuantityError

M = 10**6  # nanos in one millicore


def ctr(name: Any, requests: Any = None, limits: Any = None, **extra: Any) -> Any:
    """A container dict as the API returns it, or with values no API would send."""
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "busybox", "resources": resources, **extra}


def outcome(spec: Any) -> PodShape | type[Exception]:
    """The shape of a spec, or the type of what decoding it raises."""
    try:
        return pod_shape(spec)
    except (QuantityError, TypeError, AttributeError, ValueError) as e:
        return type(e)


def reference(spec: Any) -> PodShape | type[Exception]:
    """The same, decoded in full without the memo."""
    try:
        return decode_shape(spec)
    except (QuantityError, TypeError, AttributeError, ValueError) as e:
        return type(e)


def test_pods_of_one_template_share_one_shape() -> None:
    def spec() -> PodSpec:  # a fresh dict each time, as every decoded body is
        return {"containers": [ctr("app", {"cpu": "100m"}, {"cpu": "500m"})]}

    first, second = pod_shape(spec()), pod_shape(spec())
    assert first is second
    assert first == decode_shape(spec())
    assert resource_value(first.requests, "cpu") == 100 * M
    assert resource_value(first.limits, "cpu") == 500 * M
    assert first.containers[0].name == "app"
    assert not first.best_effort


@pytest.mark.parametrize("cached_first", [True, False], ids=["text-first", "other-first"])
@pytest.mark.parametrize("value", [True, 1, 1.0, ["1"]], ids=["true", "int", "float", "list"])
def test_a_value_equal_to_the_text_is_not_taken_for_it(value: Any, cached_first: bool) -> None:
    text = {"containers": [ctr("app", {"cpu": "1"})]}
    other = {"containers": [ctr("app", {"cpu": value})]}
    order = [text, other] if cached_first else [other, text]
    got = [outcome(spec) for spec in order]
    assert got == [reference(spec) for spec in order]
    if value is True or isinstance(value, list):
        assert got[order.index(other)] in (QuantityError, TypeError)


def test_names_that_are_not_text_are_not_memoised() -> None:
    one: PodSpec = {"containers": [ctr(1, {"cpu": "1"})]}
    true: PodSpec = {"containers": [ctr(True, {"cpu": "1"})]}
    assert pod_shape(one).containers[0].name == "1"
    assert pod_shape(true).containers[0].name == "True"


def test_a_sidecar_is_not_an_init_container_with_the_same_resources() -> None:
    app: Container = ctr("app", {"cpu": "100m"})
    init: Container = ctr("init", {"cpu": "1"})
    plain = pod_shape({"containers": [app], "initContainers": [init]})
    side = pod_shape({"containers": [app], "initContainers": [{**init, "restartPolicy": "Always"}]})
    assert resource_value(plain.requests, "cpu") == 1000 * M  # the init container's peak
    assert resource_value(side.requests, "cpu") == 1100 * M  # beside the app container


def test_pod_level_resources_and_overhead_are_decoded_every_time() -> None:
    containers = [ctr("app", {"cpu": "100m", "memory": "64Mi"})]
    pod_level: PodSpec = {"containers": containers, "resources": {"requests": {"cpu": "2"}}}
    overhead: PodSpec = {"containers": containers, "overhead": {"cpu": "10m"}}
    assert resource_value(pod_shape(pod_level).requests, "cpu") == 2000 * M
    assert resource_value(pod_shape(overhead).requests, "cpu") == 110 * M
    assert pod_shape({"containers": containers, "resources": {}}).best_effort  # QoS quirk


# Values from a small vocabulary, so that hypothesis finds specs that collide.
quantities: st.SearchStrategy[Any] = st.sampled_from(
    ["1", "100m", "1.0", " 1 ", "x", 1, 1.0, True, False, 0, None, []]
)
resource_lists = st.one_of(
    st.none(),
    st.sampled_from(["", [], "bad"]),
    st.dictionaries(st.sampled_from(["cpu", "memory", "nvidia.com/gpu"]), quantities, max_size=2),
)
containers = st.builds(
    ctr,
    st.sampled_from(["a", "b", "", None, 1, True]),
    resource_lists,
    resource_lists,
    restartPolicy=st.sampled_from(["Always", "Never", None]),
)
specs = st.fixed_dictionaries(
    {"containers": st.lists(containers, max_size=2)},
    optional={
        "initContainers": st.one_of(st.none(), st.lists(containers, max_size=2)),
        "overhead": st.sampled_from([None, {}, {"cpu": "10m"}]),
    },
)


@settings(max_examples=300)
@given(st.lists(specs, min_size=1, max_size=6))
def test_memoised_shapes_equal_full_decoding(batch: list[Any]) -> None:
    for spec in batch:
        assert outcome(spec) == reference(spec)
