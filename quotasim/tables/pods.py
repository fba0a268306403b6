"""The Pod printer: READY, STATUS and RESTARTS as printPod works them out from the statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quotasim.tables.cells import Cells, age_of, name_of
from quotasim.tables.durations import human_duration, parse_time


@dataclass(slots=True)
class _PodTally:
    """The running totals printPod keeps while it walks the container statuses."""

    reason: str
    ready: int = 0
    restarts: int = 0
    last_restart: datetime | None = None
    sidecar_restarts: int = 0
    last_sidecar_restart: datetime | None = None
    initializing: bool = False


def pod_cells(pod: dict, now: datetime) -> Cells:
    """printPod's cells: name, ready, status, restarts, age, then the wide ones."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    inits = spec.get("initContainers") or []
    total = len(spec.get("containers") or []) + sum(map(_is_sidecar, inits))
    tally = _PodTally(reason=_pod_base_reason(status))
    _scan_init_statuses(tally, inits, status)
    if not tally.initializing or _first_condition_true(status, "Initialized"):
        _scan_container_statuses(tally, status)
    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts = f"{tally.restarts} ({human_duration(now - tally.last_restart)} ago)"
    return [
        name_of(pod),
        f"{tally.ready}/{total}",
        _pod_final_reason(pod, tally.reason),
        restarts,
        age_of(pod, now),
        *_pod_wide_cells(spec, status),
    ]


def _pod_base_reason(status: dict) -> str:
    reason = status.get("reason") or status.get("phase") or ""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    return reason


def _scan_init_statuses(tally: _PodTally, inits: list[dict], status: dict) -> None:
    sidecars = {c.get("name") for c in inits if _is_sidecar(c)}
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        count, finished = int(cs.get("restartCount") or 0), _last_termination(cs)
        tally.restarts += count
        tally.last_restart = _later(tally.last_restart, finished)
        sidecar = cs.get("name") in sidecars
        if sidecar:
            tally.sidecar_restarts += count
            tally.last_sidecar_restart = _later(tally.last_sidecar_restart, finished)
        if _init_settled(tally, cs, sidecar):
            continue
        tally.reason, tally.initializing = _init_reason(cs, i, len(inits)), True
        break


def _init_settled(tally: _PodTally, cs: dict, sidecar: bool) -> bool:
    """An init container that completed, or a started sidecar, lets the scan go on."""
    terminated = _state(cs, "terminated")
    if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
        return True
    if sidecar and cs.get("started"):
        tally.ready += 1 if cs.get("ready") else 0
        return True
    return False


def _init_reason(cs: dict, index: int, count: int) -> str:
    terminated, waiting = _state(cs, "terminated"), _state(cs, "waiting")
    if terminated is not None:
        return "Init:" + (terminated.get("reason") or _exit_text(terminated))
    if waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
        return "Init:" + waiting["reason"]
    return f"Init:{index}/{count}"


def _scan_container_statuses(tally: _PodTally, status: dict) -> None:
    # Init containers that ran to completion no longer count; sidecars keep counting.
    tally.restarts, tally.last_restart = tally.sidecar_restarts, tally.last_sidecar_restart
    running = False
    for cs in reversed(status.get("containerStatuses") or []):
        tally.restarts += int(cs.get("restartCount") or 0)
        tally.last_restart = _later(tally.last_restart, _last_termination(cs))
        if (reason := _container_reason(cs)) is not None:
            tally.reason = reason
        elif cs.get("ready") and _state(cs, "running") is not None:
            running = True
            tally.ready += 1
    if tally.reason == "Completed" and running:
        tally.reason = "Running" if _any_condition_true(status, "Ready") else "NotReady"


def _container_reason(cs: dict) -> str | None:
    waiting, terminated = _state(cs, "waiting"), _state(cs, "terminated")
    if waiting is not None and waiting.get("reason"):
        return waiting["reason"]
    if terminated is not None:
        return terminated.get("reason") or _exit_text(terminated)
    return None


def _exit_text(terminated: dict) -> str:
    if terminated.get("signal"):
        return f"Signal:{terminated['signal']}"
    return f"ExitCode:{int(terminated.get('exitCode') or 0)}"


def _pod_final_reason(pod: dict, reason: str) -> str:
    status = pod.get("status") or {}
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return reason
    if status.get("reason") == "NodeLost":
        return "Unknown"
    return reason if status.get("phase") in ("Succeeded", "Failed") else "Terminating"


def _pod_wide_cells(spec: dict, status: dict) -> Cells:
    # The v1->internal conversion makes podIP authoritative over podIPs[0].
    ips = status.get("podIPs") or []
    pod_ip = status.get("podIP") or (ips[0].get("ip") if ips else "")
    gates = spec.get("readinessGates") or []
    gate_cell = "<none>"
    if gates:
        passed = sum(_first_condition_true(status, g.get("conditionType")) for g in gates)
        gate_cell = f"{passed}/{len(gates)}"
    return [
        pod_ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gate_cell,
    ]


def pod_conditions(pod: dict) -> list[dict] | None:
    """The row condition printPod adds for a pod that has run to an end, else None."""
    phase = (pod.get("status") or {}).get("phase")
    message = {"Succeeded": "The pod has completed successfully.", "Failed": "The pod failed."}
    if phase not in message:
        return None
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message[phase]}]


def _is_sidecar(container: dict) -> bool:
    return container.get("restartPolicy") == "Always"


def _state(cs: dict, name: str) -> dict | None:
    return (cs.get("state") or {}).get(name)


def _last_termination(cs: dict) -> datetime | None:
    terminated = (cs.get("lastState") or {}).get("terminated")
    return parse_time(terminated.get("finishedAt")) if terminated is not None else None


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None or (current is not None and current >= candidate):
        return current
    return candidate


def _any_condition_true(status: dict, type_: str) -> bool:
    conditions = status.get("conditions") or []
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)


def _first_condition_true(status: dict, type_: str | None) -> bool:
    """Initialized and readiness gates read only the first condition of their type."""
    matching = (c for c in status.get("conditions") or [] if c.get("type") == type_)
    first: dict[str, object] = next(matching, {})
    return first.get("status") == "True"
