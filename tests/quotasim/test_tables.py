"""Server-side Tables: cells as kube-apiserver 1.32's printers render them for kubectl."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from quotasim.tables.durations import human_duration
from quotasim.tables.negotiation import accepts_table
from quotasim.tables.rendering import TableOptionsError, render_table, render_watch_table

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
KUBECTL_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cells(resource: str, obj: dict, **kw) -> list:
    return render_table(resource, [obj], list_meta={}, now=NOW, **kw)["rows"][0]["cells"]


def column_names(resource: str, items: list[dict], **kw) -> list[str]:
    table = render_table(resource, items, list_meta={}, now=NOW, **kw)
    return [c["name"] for c in table["columnDefinitions"]]


# --- accepts_table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (KUBECTL_ACCEPT, "v1"),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "v1beta1"),
        ("application/json", None),
        ("", None),
        ("*/*", None),
        ("application/json, */*", None),
        ("application/json;as=Table;v=v2;g=meta.k8s.io,application/json", None),
        ("application/json;as=Table;g=meta.k8s.io,application/json", None),
        ("application/json;as=Table;v=v1;g=apps,application/json", None),
        ("*/*;as=Table;v=v1;g=meta.k8s.io", "v1"),
        ("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io", "v1"),
        ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0.1,application/json", None),
        ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", None),
        ("application/json;g=meta.k8s.io;v=v1,application/json;as=Table;v=v1;g=meta.k8s.io", "v1"),
        # The apiserver only serves Tables as JSON or YAML, so a protobuf clause is skipped.
        ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json", None),
        ("application/json; as=Table; v=v1; g=meta.k8s.io", "v1"),
    ],
)
def test_accepts_table(header: str, expected: str | None) -> None:
    assert accepts_table(header) == expected


# --- human_duration (cases from apimachinery pkg/util/duration/duration_test.go) -----------

SECOND, MINUTE, HOUR, DAY = 1, 60, 3600, 86400
MS = Decimal("0.001")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (SECOND, "1s"),
        (70 * SECOND, "70s"),
        (190 * SECOND, "3m10s"),
        (70 * MINUTE, "70m"),
        (47 * HOUR, "47h"),
        (49 * HOUR, "2d1h"),
        ((8 * 24 + 2) * HOUR, "8d"),
        (367 * 24 * HOUR, "367d"),
        ((365 * 2 * 24 + 25) * HOUR, "2y1d"),
        ((365 * 8 * 24 + 2) * HOUR, "8y"),
        # TestHumanDurationBoundaries
        (-2 * SECOND, "<invalid>"),
        (Decimal("-1.999999999"), "0s"),
        (0, "0s"),
        (SECOND - MS, "0s"),
        (2 * MINUTE - MS, "119s"),
        (2 * MINUTE, "2m"),
        (2 * MINUTE + SECOND, "2m1s"),
        (10 * MINUTE - MS, "9m59s"),
        (10 * MINUTE, "10m"),
        (10 * MINUTE + SECOND, "10m"),
        (3 * HOUR - MS, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + MINUTE, "3h1m"),
        (8 * HOUR - MS, "7h59m"),
        (8 * HOUR, "8h"),
        (8 * HOUR + 59 * MINUTE, "8h"),
        (2 * DAY - MS, "47h"),
        (2 * DAY, "2d"),
        (2 * DAY + HOUR, "2d1h"),
        (8 * DAY - MS, "7d23h"),
        (8 * DAY, "8d"),
        (8 * DAY + 23 * HOUR, "8d"),
        (2 * 365 * DAY - MS, "729d"),
        (2 * 365 * DAY, "2y"),
        (2 * 365 * DAY + 23 * HOUR, "2y"),
        (2 * 365 * DAY + 23 * HOUR + 59 * MINUTE, "2y"),
        (2 * 365 * DAY + DAY - MS, "2y"),
        (2 * 365 * DAY + DAY, "2y1d"),
        (3 * 365 * DAY, "3y"),
        (4 * 365 * DAY, "4y"),
        (5 * 365 * DAY, "5y"),
        (6 * 365 * DAY, "6y"),
        (7 * 365 * DAY, "7y"),
        (8 * 365 * DAY - MS, "7y364d"),
        (8 * 365 * DAY, "8y"),
        (8 * 365 * DAY + 364 * DAY, "8y"),
        (9 * 365 * DAY, "9y"),
    ],
)
def test_human_duration(seconds: float | Decimal, expected: str) -> None:
    assert human_duration(seconds) == expected


def test_human_duration_accepts_timedelta_and_float() -> None:
    assert human_duration(timedelta(minutes=3, seconds=2)) == "3m2s"
    assert human_duration(timedelta(days=2, hours=3)) == "2d3h"
    assert human_duration(119.999) == "119s"


# --- the Table envelope -------------------------------------------------------------------

NS = {"metadata": {"name": "dev", "resourceVersion": "42", "creationTimestamp": ago(days=3),
                   "labels": {"team": "agents"}},
      "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}  # fmt: skip


def test_table_envelope_carries_list_meta_and_partial_metadata() -> None:
    table = render_table("namespaces", [NS], list_meta={"resourceVersion": "99", "continue": "c1",
                         "remainingItemCount": 0}, now=NOW, api_version="v1")  # fmt: skip
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "99", "continue": "c1", "remainingItemCount": 0}
    assert table["columnDefinitions"][0] == {
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": table["columnDefinitions"][0]["description"],
    }  # fmt: skip
    assert table["rows"] == [{
        "cells": ["dev", "Active", "3d"],
        "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": NS["metadata"]},
    }]  # fmt: skip


def test_v1beta1_table_embeds_v1beta1_partial_metadata() -> None:
    table = render_table("namespaces", [NS], list_meta={}, now=NOW, api_version="v1beta1")
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_include_object_object_and_none() -> None:
    full = render_table("namespaces", [NS], list_meta={}, now=NOW, include_object="Object")
    assert full["rows"][0]["object"] == {"kind": "Namespace", "apiVersion": "v1", **NS}
    bare = render_table("namespaces", [NS], list_meta={}, now=NOW, include_object="None")
    assert bare["rows"][0]["object"] is None  # the apiserver sends "object": null
    empty = render_table("namespaces", [NS], list_meta={}, now=NOW, include_object="")
    assert empty["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_include_object_invalid_is_refused() -> None:
    with pytest.raises(TableOptionsError, match='includeObject: Invalid value: "Everything"'):
        render_table("namespaces", [NS], list_meta={}, now=NOW, include_object="Everything")


def test_empty_list_has_columns_and_no_rows() -> None:
    table = render_table("pods", [], list_meta={"resourceVersion": "7"}, now=NOW)
    assert table["rows"] == []
    assert len(table["columnDefinitions"]) == 9


def test_watch_table_sends_columns_once_and_object_resource_version() -> None:
    first = render_watch_table("namespaces", NS, now=NOW, api_version="v1")
    later = render_watch_table("namespaces", NS, now=NOW, api_version="v1", with_columns=False)
    assert [c["name"] for c in first["columnDefinitions"]] == ["Name", "Status", "Age"]
    assert later["columnDefinitions"] is None
    assert later["metadata"] == {"resourceVersion": "42"}
    assert later["rows"][0]["cells"] == ["dev", "Active", "3d"]


# --- resource quotas ----------------------------------------------------------------------

DEV_QUOTA = {
    "metadata": {"name": "dev-quota", "namespace": "dev", "creationTimestamp": ago(minutes=5)},
    "spec": {"hard": {"requests.cpu": "2"}},
    "status": {
        "hard": {"requests.cpu": "2", "requests.memory": "2Gi", "limits.cpu": "4",
                 "limits.memory": "4Gi", "pods": "20", "requests.storage": "10Gi"},
        "used": {"requests.cpu": "200m", "requests.memory": "256Mi", "limits.cpu": "1",
                 "limits.memory": "1Gi", "pods": "2"},
    },
}  # fmt: skip


def test_resourcequota_request_and_limit_columns() -> None:
    assert column_names("resourcequotas", [DEV_QUOTA]) == ["Name", "Request", "Limit", "Age"]
    assert cells("resourcequotas", DEV_QUOTA) == [
        "dev-quota",
        "pods: 2/20, requests.cpu: 200m/2, requests.memory: 256Mi/2Gi, requests.storage: 0/10Gi",
        "limits.cpu: 1/4, limits.memory: 1Gi/4Gi",
        "5m",
    ]


def test_resourcequota_prints_canonical_quantities_and_other_keys_as_requests() -> None:
    quota = {
        "metadata": {"name": "q"},
        "status": {
            "hard": {"limits.cpu": "4000m", "count/deployments.apps": 5, "limits": "1",
                     "requests.nvidia.com/gpu": "4", "limits.memory": "2048Mi"},
            "used": {"limits.cpu": "1250m", "count/deployments.apps": "1",
                     "requests.nvidia.com/gpu": "2", "limits.memory": "1280Mi"},
        },
    }  # fmt: skip
    assert cells("resourcequotas", quota)[1:] == [
        "count/deployments.apps: 1/5, limits: 0/1, requests.nvidia.com/gpu: 2/4",
        "limits.cpu: 1250m/4, limits.memory: 1280Mi/2Gi",
        "<unknown>",
    ]


def test_resourcequota_without_status_prints_empty_columns() -> None:
    quota = {"metadata": {"name": "fresh", "creationTimestamp": ago(seconds=3)},
             "spec": {"hard": {"pods": "5"}}}  # fmt: skip
    assert cells("resourcequotas", quota) == ["fresh", "", "", "3s"]


# --- pods ---------------------------------------------------------------------------------


def pod(name: str = "agent-api-7d9f", *, phase: str = "Running", statuses=None, **extra) -> dict:
    body: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "dev", "creationTimestamp": ago(minutes=3,
                     seconds=2)},
        "spec": {"containers": [{"name": "api", "image": "agent-api:1"}], "nodeName": "node-a"},
        "status": {"phase": phase, "podIP": "10.0.0.5", "conditions": [
            {"type": "Ready", "status": "True"}],
            "containerStatuses": statuses if statuses is not None else [RUNNING]},
    }  # fmt: skip
    for key, value in extra.items():
        body[key] = {**body.get(key, {}), **value}
    return body


RUNNING = {"name": "api", "ready": True, "restartCount": 0, "state": {"running": {}}}


def test_pod_columns() -> None:
    assert column_names("pods", [pod()]) == [
        "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
        "Readiness Gates",
    ]  # fmt: skip
    assert column_names("pods", [pod()], wide=False) == [
        "Name", "Ready", "Status", "Restarts", "Age",
    ]  # fmt: skip


def test_running_pod() -> None:
    assert cells("pods", pod()) == [
        "agent-api-7d9f", "1/1", "Running", "0", "3m2s", "10.0.0.5", "node-a", "<none>", "<none>",
    ]  # fmt: skip
    assert cells("pods", pod(), wide=False) == ["agent-api-7d9f", "1/1", "Running", "0", "3m2s"]


def test_pod_restarts_show_when_the_last_one_ended() -> None:
    crashed = {**RUNNING, "restartCount": 3, "lastState": {"terminated": {
        "exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=5)}}}  # fmt: skip
    assert cells("pods", pod(statuses=[crashed]))[3] == "3 (5m ago)"


@pytest.mark.parametrize(
    ("phase", "state", "ready", "status"),
    [
        ("Pending", {"waiting": {"reason": "ContainerCreating"}}, False, "ContainerCreating"),
        ("Running", {"waiting": {"reason": "CrashLoopBackOff"}}, False, "CrashLoopBackOff"),
        ("Running", {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, False, "OOMKilled"),
        ("Running", {"terminated": {"exitCode": 2}}, False, "ExitCode:2"),
        ("Running", {"terminated": {"exitCode": 0, "signal": 9}}, False, "Signal:9"),
        ("Succeeded", {"terminated": {"exitCode": 0, "reason": "Completed"}}, False, "Completed"),
        ("Failed", {"terminated": {"exitCode": 1, "reason": "Error"}}, False, "Error"),
    ],
)
def test_pod_status_from_container_state(phase: str, state: dict, ready: bool,
                                         status: str) -> None:  # fmt: skip
    cs = {"name": "api", "ready": ready, "restartCount": 0, "state": state}
    assert cells("pods", pod(phase=phase, statuses=[cs]))[1:3] == ["0/1", status]


def test_pending_pod_without_statuses_shows_phase() -> None:
    pending = pod(phase="Pending", statuses=[], status={"podIP": None, "conditions": []})
    assert cells("pods", pending)[1:3] == ["0/1", "Pending"]
    assert cells("pods", pending)[5] == "<none>"


def test_finished_pods_carry_completed_row_condition() -> None:
    done = pod(
        phase="Succeeded",
        statuses=[{"name": "api", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
    )
    row = render_table("pods", [done], list_meta={}, now=NOW)["rows"][0]
    assert row["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    assert "conditions" not in render_table("pods", [pod()], list_meta={}, now=NOW)["rows"][0]


def test_completed_container_beside_running_one_reads_running_or_not_ready() -> None:
    done = {"name": "setup", "ready": False, "state": {"terminated": {"exitCode": 0,
            "reason": "Completed"}}}  # fmt: skip
    both = pod(statuses=[done, RUNNING], spec={"containers": [{"name": "setup"}, {"name": "api"}]})
    assert cells("pods", both)[1:3] == ["1/2", "Running"]
    both["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    assert cells("pods", both)[1:3] == ["1/2", "NotReady"]


def test_init_containers() -> None:
    spec = {"initContainers": [{"name": "migrate"}, {"name": "warm"}]}
    waiting = {"name": "migrate", "state": {"waiting": {"reason": "PodInitializing"}}}
    assert (
        cells(
            "pods",
            pod(
                phase="Pending", statuses=[], spec=spec, status={"initContainerStatuses": [waiting]}
            ),
        )[2]
        == "Init:0/2"
    )
    looping = {
        "name": "migrate",
        "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
    }
    row = cells(
        "pods",
        pod(phase="Pending", statuses=[], spec=spec, status={"initContainerStatuses": [looping]}),
    )
    assert row[2:4] == ["Init:CrashLoopBackOff", "4"]
    done = {"name": "migrate", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    failed = {"name": "warm", "state": {"terminated": {"exitCode": 3}}}
    assert cells(
        "pods",
        pod(
            phase="Pending",
            statuses=[],
            spec=spec,
            status={"initContainerStatuses": [done, failed]},
        ),
    )[2] == ("Init:ExitCode:3")


def test_sidecar_init_container_counts_as_a_container() -> None:
    spec = {"initContainers": [{"name": "proxy", "restartPolicy": "Always"}]}
    sidecar = {
        "name": "proxy",
        "ready": True,
        "started": True,
        "restartCount": 1,
        "state": {"running": {}},
    }
    assert cells("pods", pod(spec=spec, status={"initContainerStatuses": [sidecar]}))[1:4] == [
        "2/2", "Running", "1",
    ]  # fmt: skip


def test_terminating_unknown_and_gated_pods() -> None:
    deleting = pod(metadata={"deletionTimestamp": ago(seconds=5)})
    assert cells("pods", deleting)[2] == "Terminating"
    lost = pod(metadata={"deletionTimestamp": ago(seconds=5)}, status={"reason": "NodeLost"})
    assert cells("pods", lost)[2] == "Unknown"
    gated = pod(
        phase="Pending",
        statuses=[],
        status={
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]
        },
    )
    assert cells("pods", gated)[2] == "SchedulingGated"


def test_pod_wide_cells() -> None:
    gated = pod(
        spec={"readinessGates": [{"conditionType": "lb/ready"}, {"conditionType": "x/ok"}]},
        status={
            "podIP": "",
            "podIPs": [{"ip": "10.0.0.9"}],
            "nominatedNodeName": "node-b",
            "conditions": [{"type": "lb/ready", "status": "True"}],
        },
    )
    assert cells("pods", gated)[5:] == ["10.0.0.9", "node-a", "node-b", "1/2"]


# --- nodes, namespaces, limit ranges, pvcs, events, deployments, fallback, metrics -------


def test_nodes() -> None:
    node = {
        "metadata": {"name": "gpu-1", "creationTimestamp": ago(days=2, hours=3), "labels": {
            "node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/gpu": "",
            "kubernetes.io/role": "spot"}},
        "spec": {"unschedulable": True},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                  {"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "InternalIP", "address": "10.1.0.4"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "Ubuntu 24.04",
                                "kernelVersion": "6.8.0", "containerRuntimeVersion": ""}},
    }  # fmt: skip
    assert cells("nodes", node) == [
        "gpu-1", "Ready,SchedulingDisabled", "gpu,spot,worker", "2d3h", "v1.32.4", "10.1.0.4",
        "<none>", "Ubuntu 24.04", "6.8.0", "<unknown>",
    ]  # fmt: skip
    bare = {"metadata": {"name": "n0"}, "status": {"conditions": [
        {"type": "Ready", "status": "Unknown"}]}}  # fmt: skip
    assert cells("nodes", bare, wide=False) == ["n0", "NotReady", "<none>", "<unknown>", ""]
    assert cells("nodes", {"metadata": {"name": "n1"}})[1] == "Unknown"


def test_limitranges_use_the_default_convertor() -> None:
    lr = {"metadata": {"name": "dev-limits", "creationTimestamp": "2025-02-01T08:30:00Z"}}
    table = render_table("limitranges", [lr], list_meta={}, now=NOW)
    assert [(c["name"], c["type"]) for c in table["columnDefinitions"]] == [
        ("Name", "string"), ("Created At", "date"),
    ]  # fmt: skip
    assert table["rows"][0]["cells"] == ["dev-limits", "2025-02-01T08:30:00Z"]
    assert cells("limitranges", {"metadata": {"name": "x"}}) == ["x", "0001-01-01T00:00:00Z"]


def test_persistentvolumeclaims() -> None:
    assert column_names("persistentvolumeclaims", []) == [
        "Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
        "VolumeAttributesClass", "Age", "VolumeMode",
    ]  # fmt: skip
    bound = {
        "metadata": {"name": "data", "creationTimestamp": ago(hours=5)},
        "spec": {"volumeName": "pv-1", "storageClassName": "fast", "volumeMode": "Filesystem",
                 "resources": {"requests": {"storage": "5Gi"}}},
        "status": {"phase": "Bound", "capacity": {"storage": "5120Mi"},
                   "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"]},
    }  # fmt: skip
    assert cells("persistentvolumeclaims", bound) == [
        "data", "Bound", "pv-1", "5Gi", "RWO,RWX", "fast", "<unset>", "5h", "Filesystem",
    ]  # fmt: skip
    pending = {"metadata": {"name": "new", "annotations": {
        "volume.beta.kubernetes.io/storage-class": "legacy"}},
        "spec": {"storageClassName": "fast"}, "status": {"phase": "Pending"}}  # fmt: skip
    assert cells("persistentvolumeclaims", pending) == [
        "new", "Pending", "", "", "", "legacy", "<unset>", "<unknown>", "<unset>",
    ]  # fmt: skip


REJECTION = {
    "metadata": {"name": "agent-api-5c7.17f", "namespace": "dev"},
    "involvedObject": {"kind": "ReplicaSet", "name": "agent-api-5c7"},
    "reason": "FailedCreate",
    "message": 'Error creating: pods "agent-api-5c7-x" is forbidden: exceeded quota: dev-quota\n',
    "source": {"component": "replicaset-controller"},
    "firstTimestamp": ago(minutes=12),
    "lastTimestamp": ago(seconds=40),
    "count": 7,
    "type": "Warning",
}


def test_events() -> None:
    assert column_names("events", [REJECTION], wide=False) == [
        "Last Seen", "Type", "Reason", "Object", "Message",
    ]  # fmt: skip
    assert cells("events", REJECTION) == [
        "40s", "Warning", "FailedCreate", "replicaset/agent-api-5c7", "",
        "replicaset-controller",
        'Error creating: pods "agent-api-5c7-x" is forbidden: exceeded quota: dev-quota',
        "12m", 7, "agent-api-5c7.17f",
    ]  # fmt: skip


def test_new_api_events_use_event_time_series_and_reporting_fields() -> None:
    event = {"metadata": {"name": "e"}, "eventTime": "2025-03-01T11:57:00.000000Z",
             "series": {"count": 4, "lastObservedTime": "2025-03-01T11:59:30.000000Z"},
             "reportingComponent": "kubelet", "reportingInstance": "node-a",
             "involvedObject": {"kind": "Pod"}, "type": "Normal", "reason": "Pulled"}  # fmt: skip
    assert cells("events", event) == [
        "30s", "Normal", "Pulled", "pod", "", "kubelet, node-a", "", "3m", 4, "e",
    ]  # fmt: skip
    single = {"metadata": {"name": "s"}, "eventTime": "2025-03-01T11:59:00.000000Z"}
    assert cells("events", single)[0::7] == ["60s", "60s"]
    assert cells("events", single)[8] == 1


def test_deployments() -> None:
    deploy = {
        "metadata": {"name": "agent-api", "creationTimestamp": ago(hours=26)},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "agent-api", "tier": "web"},
                 "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                      {"key": "canary", "operator": "DoesNotExist"}]},
                 "template": {"spec": {"containers": [{"name": "api", "image": "agent:1"},
                                                      {"name": "proxy", "image": "envoy:2"}]}}},
        "status": {"replicas": 2, "readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1},
    }  # fmt: skip
    assert column_names("deployments", [deploy], wide=False) == [
        "Name", "Ready", "Up-to-date", "Available", "Age",
    ]  # fmt: skip
    assert cells("deployments", deploy) == [
        "agent-api", "1/2", 2, 1, "26h", "api,proxy", "agent:1,envoy:2",
        "app=agent-api,!canary,env in (dev,prod),tier=web",  # sorted by key
    ]  # fmt: skip
    fresh = {"metadata": {"name": "d"}, "spec": {}}
    assert cells("deployments", fresh) == ["d", "0/1", 0, 0, "<unknown>", "", "", ""]


def test_replicasets_have_their_own_printer() -> None:
    template = {"spec": {"containers": [{"name": "api", "image": "agent:1"}]}}
    rs = {"metadata": {"name": "agent-api-5c7", "creationTimestamp": ago(minutes=90)},
          "spec": {"replicas": 2, "template": template},
          "status": {"replicas": 2, "readyReplicas": 2}}  # fmt: skip
    assert cells("replicasets", rs) == ["agent-api-5c7", 2, 2, 2, "90m", "api", "agent:1", "<none>"]


def test_unknown_resources_fall_back_to_name_and_age() -> None:
    thing = {"metadata": {"name": "w1", "creationTimestamp": ago(seconds=45)}}
    table = render_table("widgets.example.com", [thing], list_meta={}, now=NOW)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert table["rows"][0]["cells"] == ["w1", "45s"]


def test_pod_metrics_sum_containers_like_metrics_server() -> None:
    metrics = {"metadata": {"name": "agent-api-7d9f", "namespace": "dev"}, "window": "15s",
               "timestamp": ago(seconds=10), "containers": [
                   {"name": "api", "usage": {"cpu": "50000000n", "memory": "65536Ki"}},
                   {"name": "proxy", "usage": {"cpu": "1500000n", "memory": "1024Ki"}},
               ]}  # fmt: skip
    # A plural alone is enough: PodMetrics bodies are told apart from Pods by their window.
    table = render_table("pods", [metrics], list_meta={}, now=NOW, include_object="Object")
    assert [(c["name"], c["format"]) for c in table["columnDefinitions"]] == [
        ("Name", "name"), ("cpu", "quantity"), ("memory", "quantity"), ("Window", "duration"),
    ]  # fmt: skip
    assert table["rows"][0]["cells"] == ["agent-api-7d9f", "51500u", "65Mi", "15s"]
    assert table["rows"][0]["object"]["kind"] == "PodMetrics"
    node = {"metadata": {"name": "node-a"}, "window": "20s", "usage": {"cpu": "250m",
            "memory": "2Gi"}}  # fmt: skip
    assert cells("nodes.metrics.k8s.io", node) == ["node-a", "250m", "2Gi", "20s"]
