"""The daemon on the reference scenario: its quota and LimitRange figures equal
what kubectl (a client we did not write) reads from the same cluster."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from exporter.model.quantities import parse_quantity
from quotasim.scenario import BUILTIN_DIR
from tests.e2e.conftest import RunningDaemon
from tests.kubectlrun import kubectl, kubectl_json

ACCRUED = {"quotameter_cost_total", "quotameter_cost_month_to_date"}


def value(text: str) -> float:
    return parse_quantity(text).as_float


async def test_quota_series_equal_kubectl(daemon: RunningDaemon, kubeconfig: Path) -> None:
    quotas = (await kubectl_json(kubeconfig, "get", "resourcequota", "-A"))["items"]
    samples = await daemon.samples()
    expected = {}
    for q in quotas:
        ns, name = q["metadata"]["namespace"], q["metadata"]["name"]
        team = {"dev": "agents", "staging": "agents", "prod": "agents-prod"}[ns]
        for key, hard in q["status"]["hard"].items():
            labels = {"namespace": ns, "team": team, "quota": name, "resource": key}
            used = value(q["status"]["used"][key])
            expected[("quotameter_quota_hard", frozenset(labels.items()))] = value(hard)
            expected[("quotameter_quota_used", frozenset(labels.items()))] = used
            expected[("quotameter_quota_saturation_ratio", frozenset(labels.items()))] = (
                used / value(hard)
            )
    got = {k: v for k, v in samples.items() if k[0] in {name for name, _ in expected}}
    assert got == pytest.approx(expected)
    assert len(got) == 3 * (6 + 5 + 5)  # hard, used, ratio for 6 keys in dev, 5 elsewhere


async def test_limitrange_series_equal_kubectl(daemon: RunningDaemon, kubeconfig: Path) -> None:
    ranges = (await kubectl_json(kubeconfig, "get", "limitrange", "-A"))["items"]
    samples = await daemon.samples()
    expected = {}
    for lr in ranges:
        ns = lr["metadata"]["namespace"]
        team = {"dev": "agents", "staging": "agents", "prod": "agents-prod"}[ns]
        for item in lr["spec"]["limits"]:
            for constraint in ("min", "max", "default", "defaultRequest"):
                for resource, text in item.get(constraint, {}).items():
                    labels = {
                        "namespace": ns,
                        "team": team,
                        "limitrange": lr["metadata"]["name"],
                        "type": item["type"],
                        "resource": resource,
                        "constraint": constraint,
                    }
                    expected[("quotameter_limitrange", frozenset(labels.items()))] = value(text)
    got = {k: v for k, v in samples.items() if k[0] == "quotameter_limitrange"}
    assert got == pytest.approx(expected)
    assert len(got) == 3 * 4 * 2


async def test_new_pod_shows_within_two_seconds(daemon: RunningDaemon, kubeconfig: Path) -> None:
    await kubectl(
        kubeconfig, "apply", "-f", str(BUILTIN_DIR / "reference" / "later" / "agent-worker.yaml")
    )
    key = frozenset(
        {
            "namespace": "dev",
            "team": "agents",
            "quota": "dev-quota",
            "resource": "requests.cpu",
        }.items()
    )
    async with asyncio.timeout(2):
        while (await daemon.samples()).get(("quotameter_quota_used", key)) != 0.3:
            await asyncio.sleep(0.05)
    samples = await daemon.samples()

    def used(resource: str) -> float:
        labels = {"namespace": "dev", "team": "agents", "quota": "dev-quota", "resource": resource}
        return samples[("quotameter_quota_used", frozenset(labels.items()))]

    assert [used(r) for r in ("requests.memory", "limits.cpu", "limits.memory", "pods")] == [
        402653184,
        1.25,
        1342177280,
        3,
    ]
    requests = {"namespace": "dev", "team": "agents", "resource": "cpu"}
    assert samples[("quotameter_namespace_requests", frozenset(requests.items()))] == (
        pytest.approx(0.3)
    )


async def test_deleted_namespace_loses_its_series(daemon: RunningDaemon, kubeconfig: Path) -> None:
    await kubectl(kubeconfig, "delete", "namespace", "staging")

    def staging_series(samples: dict) -> set[str]:
        return {name for name, labels in samples if ("namespace", "staging") in labels}

    async with asyncio.timeout(2):
        while staging_series(await daemon.samples()) - ACCRUED:
            await asyncio.sleep(0.05)
    samples = await daemon.samples()
    # What staging cost this month stays until the month ends (finance bills it).
    assert staging_series(samples) <= ACCRUED
    assert "quotameter_quota_hard" in {
        name for name, labels in samples if ("namespace", "dev") in labels
    }


async def test_promtool_finds_no_problems(daemon: RunningDaemon) -> None:
    text = await daemon.scrape()
    proc = await asyncio.create_subprocess_exec(
        "promtool",
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(text.encode())
    assert (proc.returncode, out, err) == (0, b"", b"")
