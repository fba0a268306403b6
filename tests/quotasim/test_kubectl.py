"""kubectl, a client we did not write, against the simulated API server.

kubectl asks for server-side Tables, follows discovery, validates through
OpenAPI v3 and patches; what it prints for the reference scenario must be
what it prints for a real cluster set up the same way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from quotasim.scenario import BUILTIN_DIR
from quotasim.server import SimServer
from tests.kubectlrun import kubectl

AGENT_WORKER = BUILTIN_DIR / "reference" / "later" / "agent-worker.yaml"


def rows(table: str) -> list[list[str]]:
    """kubectl's column output split into cells (values here contain no spaces)."""
    return [line.split() for line in table.strip().splitlines()]


async def test_get_pods_all_namespaces(kubeconfig: Path) -> None:
    out = rows(await kubectl(kubeconfig, "get", "pods", "-A"))
    assert out[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert sorted(r[0] for r in out[1:]) == ["dev", "dev", "prod", "prod", "staging", "staging"]
    assert all(r[1].startswith("agent-api-") and r[2:5] == ["1/1", "Running", "0"] for r in out[1:])


async def test_quota_figures_match_a_real_cluster(kubeconfig: Path) -> None:
    out = await kubectl(kubeconfig, "get", "resourcequota", "-n", "dev")
    header, row = out.strip().splitlines()
    assert header.split() == ["NAME", "REQUEST", "LIMIT", "AGE"]
    assert row.startswith("dev-quota ")
    assert (
        "pods: 2/20, requests.cpu: 200m/2, requests.memory: 256Mi/2Gi, requests.storage: 0/10Gi"
    ) in row
    assert "   limits.cpu: 1/4, limits.memory: 1Gi/4Gi   " in row


async def test_agent_worker_gets_limitrange_defaults_and_is_charged(kubeconfig: Path) -> None:
    assert await kubectl(kubeconfig, "apply", "-f", str(AGENT_WORKER)) == (
        "pod/agent-worker created\n"
    )
    resources = await kubectl(
        kubeconfig,
        "get",
        "pod",
        "agent-worker",
        "-n",
        "dev",
        "-o",
        "jsonpath={.spec.containers[0].resources}",
    )
    assert resources == (
        '{"limits":{"cpu":"250m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}'
    )
    row = (await kubectl(kubeconfig, "get", "resourcequota", "-n", "dev")).splitlines()[1]
    assert "pods: 3/20, requests.cpu: 300m/2, requests.memory: 384Mi/2Gi" in row
    assert "   limits.cpu: 1250m/4, limits.memory: 1280Mi/4Gi   " in row
    # A second apply of the same manifest is a no-op patch, as on a real server.
    assert await kubectl(kubeconfig, "apply", "-f", str(AGENT_WORKER)) == (
        "pod/agent-worker unchanged\n"
    )


async def test_describe_quota_lists_used_and_hard(kubeconfig: Path) -> None:
    out = await kubectl(kubeconfig, "describe", "resourcequota", "dev-quota", "-n", "dev")
    table = {r[0]: r[1:] for r in rows(out) if len(r) == 3}
    assert table["requests.cpu"] == ["200m", "2"]
    assert table["limits.memory"] == ["1Gi", "4Gi"]
    assert table["pods"] == ["2", "20"]


async def test_watch_sees_a_new_pod(sim: SimServer, kubeconfig: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        "--cache-dir",
        str(kubeconfig.parent / "c"),
        "get",
        "pods",
        "-n",
        "dev",
        "--watch-only",
        "--output-watch-events",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(200):  # until kubectl has listed and opened its watch
            if sim.cluster.store.watchers:
                break
            await asyncio.sleep(0.05)
        await kubectl(kubeconfig, "apply", "-f", str(AGENT_WORKER))
        assert proc.stdout is not None
        header = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
    finally:
        proc.terminate()
        await proc.wait()
    assert header.split() == ["EVENT", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert line.split()[:4] == ["ADDED", "agent-worker", "1/1", "Running"]


async def test_scale_past_quota_records_failed_create_events(kubeconfig: Path) -> None:
    await kubectl(kubeconfig, "scale", "deployment", "agent-api", "-n", "dev", "--replicas=10")
    out = await kubectl(
        kubeconfig,
        "get",
        "events",
        "-n",
        "dev",
        "--field-selector",
        "reason=FailedCreate",
        "-o",
        "jsonpath={range .items[*]}{.message}{'\\n'}{end}",
    )
    messages = out.strip().splitlines()
    # limits.cpu 4 fits 8 pods of 500m; the slow-start batch that crosses it fails.
    assert messages, "expected refusals"
    assert all(m.startswith('Error creating: pods "agent-api-') for m in messages)
    assert all(
        "is forbidden: exceeded quota: dev-quota, requested: limits.cpu=500m,"
        "limits.memory=512Mi, used: limits.cpu=4,limits.memory=4Gi, limited: "
        "limits.cpu=4,limits.memory=4Gi" in m
        for m in messages
    )
    ready = await kubectl(
        kubeconfig,
        "get",
        "deployment",
        "agent-api",
        "-n",
        "dev",
        "-o",
        "jsonpath={.status.readyReplicas}",
    )
    assert ready == "8"


async def test_label_and_field_selectors(kubeconfig: Path) -> None:
    out = await kubectl(
        kubeconfig,
        "get",
        "pods",
        "-A",
        "-l",
        "app=agent-api",
        "--field-selector",
        "metadata.namespace=prod",
        "-o",
        "name",
    )
    assert len(out.split()) == 2
    assert all(n.startswith("pod/agent-api-") for n in out.split())


async def test_top_pods_reads_metrics_api(kubeconfig: Path) -> None:
    out = rows(await kubectl(kubeconfig, "top", "pods", "-n", "dev"))
    assert out[0] == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    # agent-api runs at 0.6 of its 100m / 128Mi requests in the reference scenario.
    assert [r[1:] for r in out[1:]] == [["60m", "76Mi"], ["60m", "76Mi"]]


async def test_apply_reference_manifests_into_an_empty_cluster(tmp_path: Path) -> None:
    from quotasim.cluster import Cluster

    server = SimServer(Cluster(seed=3))
    await server.start()
    try:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        out = await kubectl(kubeconfig, "apply", "-f", str(BUILTIN_DIR / "reference"))
        assert sorted(out.split("\n")[:-1]) == sorted(
            [f"node/worker-{i} created" for i in (1, 2)]
            + [
                f"{kind} created"
                for ns in ("dev", "staging", "prod")
                for kind in (
                    f"namespace/{ns}",
                    f"resourcequota/{ns}-quota",
                    f"limitrange/{ns}-limits",
                    "deployment.apps/agent-api",
                )
            ]
        )
        row = (await kubectl(kubeconfig, "get", "quota", "-n", "dev")).splitlines()[1]
        assert "pods: 2/20, requests.cpu: 200m/2, requests.memory: 256Mi/2Gi" in row
    finally:
        await server.stop()
