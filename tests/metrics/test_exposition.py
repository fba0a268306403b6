"""The cached text renderer: the same samples as prometheus_client, through any changes."""

from __future__ import annotations

import contextlib
import copy
import gzip
import random
import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from exporter.metrics import exposition
from exporter.metrics.exposition import TextExposition, escape_label_value
from exporter.metrics.families import STATE_METRICS
from exporter.model.bodies import Namespace, PodMetrics
from exporter.model.health import InformerHealth
from exporter.model.snapshot import SpaceView
from exporter.model.state import ClusterState
from exporter.model.teams import TeamRules
from quotasim.admission import AdmissionError
from quotasim.apierrors import SimError
from quotasim.cluster import DEPLOYMENT, LIMITRANGE, NAMESPACE, POD, PVC

from .helpers import Scrape, parsed


def assert_same_samples(scrape: Scrape) -> dict:
    """The renderer's output and generate_latest's hold identical samples and types."""
    ours, theirs = parsed(scrape.text.render()), parsed(generate_latest(scrape.registry))
    assert ours[1] == theirs[1]
    assert ours[0] == theirs[0]
    return ours[0]


def test_the_reference_scenario_renders_the_same_samples(scrape: Scrape) -> None:
    samples = assert_same_samples(scrape)
    key = (
        "quotameter_quota_used",
        (("namespace", "dev"), ("quota", "dev-quota"), ("resource", "requests.cpu"),
         ("team", "agents")),
    )  # fmt: skip
    assert samples[key] == 0.2
    assert len(samples) > 100


def test_the_demo_scenario_renders_the_same_samples(demo: Scrape) -> None:
    demo.usage.replace(
        [{"metadata": {"name": "trainer", "namespace": "ml-training"},
          "containers": [{"name": "t", "usage": {"cpu": "3500m", "memory": "12Gi"}}]}],
        timestamp=1.0,
    )  # fmt: skip
    samples = assert_same_samples(demo)
    usage = ("quotameter_namespace_usage",
             (("namespace", "ml-training"), ("resource", "cpu"), ("team", "ml")))  # fmt: skip
    assert samples[usage] == 3.5


def test_families_stay_grouped_with_one_header_each(demo: Scrape) -> None:
    lines = demo.text.render().decode().splitlines()
    names = [line.split("{")[0].split(" ")[0] for line in lines if not line.startswith("#")]
    blocks = [name for i, name in enumerate(names) if i == 0 or names[i - 1] != name]
    assert len(blocks) == len(set(blocks))  # each metric's samples in one run
    helps = [line.split(" ")[2] for line in lines if line.startswith("# HELP ")]
    types = [line.split(" ")[2] for line in lines if line.startswith("# TYPE ")]
    assert helps == types
    assert len(helps) == len(set(helps))
    assert set(blocks) <= set(helps)


def test_label_values_are_escaped_as_the_format_requires() -> None:
    assert escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
    assert escape_label_value("plain/ünïcode") == "plain/ünïcode"
    health = InformerHealth()
    rules = TeamRules.build(annotation_keys=["owner"])
    state = ClusterState(health=health, rules=rules)
    owner = 'ops "core" \\ on-call\nteam ☃'
    state.apply(
        "namespaces", "ADDED", {"metadata": {"name": "odd", "annotations": {"owner": owner}}}
    )
    state.apply("pods", "ADDED", {
        "metadata": {"name": "p", "namespace": "odd"}, "status": {"phase": "Running"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]},
    })  # fmt: skip
    text = TextExposition(state=state, health=health, version='1.0 "rc"').render()
    assert 'team="ops \\"core\\" \\\\ on-call\\nteam ☃"'.encode() in text
    samples, _ = parsed(text)
    key = ("quotameter_namespace_requests",
           (("namespace", "odd"), ("resource", "cpu"), ("team", owner)))  # fmt: skip
    assert samples[key] == 1
    assert samples[("quotameter_build_info", (("version", '1.0 "rc"'),))] == 1
    if shutil.which("promtool"):
        result = subprocess.run(["promtool", "check", "metrics"], input=text,
                                capture_output=True, timeout=60, check=False)  # fmt: skip
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_only_changed_namespaces_are_rendered_again(
    demo: Scrape, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    original = exposition._render_namespace

    def counting(view: SpaceView) -> list[bytes]:
        rendered.append(view.namespace)
        return original(view)

    monkeypatch.setattr(exposition, "_render_namespace", counting)
    first = demo.text.render()
    assert sorted(rendered) == ["dev", "ml-training", "observability", "prod", "staging",
                                "vc-sandbox"]  # fmt: skip
    rendered.clear()
    assert demo.text.render() == first
    assert rendered == []
    demo.cluster.update(POD, {"metadata": {"name": "trainer", "namespace": "ml-training"},
                              "status": {"phase": "Succeeded"}}, subresource="status")  # fmt: skip
    demo.catch_up()
    relabelled: Namespace = {"metadata": {"name": "prod", "labels": {"team": "new"}}}
    demo.state.apply("namespaces", "MODIFIED", relabelled)
    demo.text.render()
    assert sorted(rendered) == ["ml-training", "prod"]


def test_other_collectors_are_appended(scrape: Scrape) -> None:
    others = CollectorRegistry()
    Gauge("quotameter_team_budget", "Monthly budget.", ["team"], registry=others).labels(
        team="agents"
    ).set(1000)
    text = TextExposition(
        state=scrape.state, health=scrape.health, version="1.2.3", others=others
    ).render()
    samples, types = parsed(text)
    assert samples[("quotameter_team_budget", (("team", "agents"),))] == 1000
    assert types["quotameter_team_budget"] == "gauge"
    assert text.endswith(generate_latest(others))


# -- random changes: the cache never serves stale text ----------------------------------


def scale(scrape: Scrape, rng: random.Random) -> None:
    ns, name = rng.choice([("dev", "agent-api"), ("staging", "batch-runner"),
                           ("prod", "agent-api"), ("observability", "grafana")])  # fmt: skip
    with contextlib.suppress(SimError):  # staging is deleted halfway
        deployment = copy.deepcopy(scrape.cluster.get(DEPLOYMENT, ns, name))
        deployment["spec"]["replicas"] = rng.randint(0, 4)
        scrape.cluster.update(DEPLOYMENT, deployment, namespace=ns)


def end_pod(scrape: Scrape, rng: random.Random) -> None:
    pods = [p for ns in ("dev", "prod", "vc-sandbox") for p in scrape.cluster.pods(ns)]
    if pods:
        meta = rng.choice(pods)["metadata"]
        status = {"phase": rng.choice(["Succeeded", "Failed", "Running"])}
        scrape.cluster.update(POD, {"metadata": dict(meta), "status": status}, subresource="status")


def tighten(scrape: Scrape, rng: random.Random) -> None:
    limits = copy.deepcopy(scrape.cluster.get(LIMITRANGE, "dev", "dev-limits"))
    limits["spec"]["limits"][0]["max"]["cpu"] = rng.choice(["100m", "499m", "500m", "2"])
    scrape.cluster.update(LIMITRANGE, limits, namespace="dev")


def relabel(scrape: Scrape, rng: random.Random) -> None:
    body = copy.deepcopy(scrape.cluster.get(NAMESPACE, "", rng.choice(["dev", "vc-sandbox"])))
    body["metadata"]["labels"]["team"] = rng.choice(["agents", "sandbox", "platform"])
    scrape.cluster.update(NAMESPACE, body)


def claim(scrape: Scrape, rng: random.Random) -> None:
    ns, name = rng.choice(["dev", "prod"]), f"vol-{rng.randint(0, 3)}"
    size = f"{rng.randint(1, 9)}Gi"
    body = {"metadata": {"name": name},
            "spec": {"storageClassName": rng.choice(["standard", "fast-ssd"]),
                     "resources": {"requests": {"storage": size}}}}  # fmt: skip
    try:
        scrape.cluster.delete(PVC, ns, name)
    except SimError:
        with contextlib.suppress(AdmissionError):  # dev-quota limits requests.storage
            scrape.cluster.create(PVC, body, namespace=ns)


def sample_usage(scrape: Scrape, rng: random.Random) -> None:
    if rng.random() < 0.2:
        scrape.usage.clear()
        return
    items: list[PodMetrics] = [
        {"metadata": {"name": p["metadata"]["name"], "namespace": ns},
         "containers": [{"name": "c", "usage": {"cpu": f"{rng.randint(0, 900)}m",
                                                "memory": f"{rng.randint(1, 900)}Mi"}}]}
        for ns in ("dev", "staging", "ml-training") for p in scrape.cluster.pods(ns)
    ]  # fmt: skip
    scrape.usage.replace(items, timestamp=float(rng.randint(1, 10**9)))


def refuse(scrape: Scrape, rng: random.Random) -> None:
    uid = f"ev-{rng.randint(0, 5)}"
    message = (
        'Error creating: pods "x" is forbidden: exceeded quota: staging-quota, '
        "requested: requests.cpu=1, used: requests.cpu=4, limited: requests.cpu=4"
    )
    scrape.state.apply("events", "MODIFIED", {
        "metadata": {"name": uid, "namespace": "staging", "uid": uid},
        "reason": "FailedCreate", "message": message, "count": rng.randint(1, 9),
    })  # fmt: skip


CHANGES = (scale, end_pod, tighten, relabel, claim, sample_usage, refuse)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_keep_both_outputs_equal(demo: Scrape, seed: int) -> None:
    rng = random.Random(seed)
    assert_same_samples(demo)
    for step in range(40):
        for _ in range(rng.randint(1, 3)):
            rng.choice(CHANGES)(demo, rng)
        if step == 25:
            demo.cluster.delete(NAMESPACE, "", "staging")
        demo.catch_up()
        samples = assert_same_samples(demo)
        if step >= 25:
            assert not any(("namespace", "staging") in labels for _, labels in samples)


def test_gzip_is_the_same_text_through_changes(demo: Scrape) -> None:
    assert gzip.decompress(demo.text.render_gzip()) == demo.text.render()
    demo.cluster.update(POD, {"metadata": {"name": "trainer", "namespace": "ml-training"},
                              "status": {"phase": "Succeeded"}}, subresource="status")  # fmt: skip
    demo.catch_up()
    relabelled: Namespace = {"metadata": {"name": "prod", "labels": {"team": "new"}}}
    demo.state.apply("namespaces", "MODIFIED", relabelled)
    text = gzip.decompress(demo.text.render_gzip())
    assert text == demo.text.render()
    assert b'namespace="prod",team="new"' in text


def test_gzip_compresses_only_the_runs_that_changed(
    demo: Scrape, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exposition, "BLOCK", 2)  # 6 namespaces + a header: 4 runs a family
    compressed: list[bytes] = []
    original = exposition.gzip_member

    def counting(data: bytes) -> bytes:
        compressed.append(data)
        return original(data)

    monkeypatch.setattr(exposition, "gzip_member", counting)
    demo.text.render_gzip()
    families = len(STATE_METRICS)
    assert len(compressed) == families * 4 + 1  # and the cluster-wide and health text
    compressed.clear()
    demo.text.render_gzip()
    assert compressed == []  # nothing changed
    relabelled: Namespace = {"metadata": {"name": "prod", "labels": {"team": "new"}}}
    demo.state.apply("namespaces", "MODIFIED", relabelled)
    demo.text.render_gzip()
    # Only prod's run, in each family that has samples of prod.
    assert 1 < len(compressed) <= families
    assert all(b'namespace="prod",team="new"' in data for data in compressed)
