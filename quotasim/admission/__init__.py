"""The simulator's admission plugins and what they share: the refusal they raise.

``limitranger`` defaults and validates against LimitRanges, ``resourcequota`` charges
ResourceQuotas with what the evaluators of ``quotasim.quota`` say an object charges.
They work on raw API dicts and refuse requests with the messages kube-apiserver sends:
plugin/pkg/admission/limitranger/admission.go and the resourcequota admission controller in
k8s.io/apiserver (plugin/resourcequota/controller.go), as of Kubernetes v1.36. Where Go
iterates a map (random order) we sort instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from quotasim.apierrors import SimError
from quotasim.resources import group_resource


class AdmissionError(SimError):
    """A request refused by admission, with the API Status fields the real server sends.

    Its attributes mirror the simulator's SimError (code, reason, message, details).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int = 403,
        reason: str = "Forbidden",
        details: dict | None = None,
    ) -> None:
        super().__init__(code, reason, message, details=details or {})

    def status(self) -> dict:
        """The metav1.Status body for this refusal."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def forbidden(kind: str, obj: Mapping, reason_text: str) -> AdmissionError:
    """admission.NewForbidden: `<resource> "<name>" is forbidden: <reason_text>`."""
    group, plural = group_resource(kind, obj)
    meta = obj.get("metadata") or {}
    # Before the name is generated only generateName is known, and Kubernetes prints that.
    name = meta.get("name") or meta.get("generateName") or "Unknown"
    qualified = f"{plural}.{group}" if group else plural
    details = {"name": name, "kind": plural, **({"group": group} if group else {})}
    return AdmissionError(
        f"{qualified} {json.dumps(name)} is forbidden: {reason_text}", details=details
    )


def aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): duplicates dropped, brackets around several."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
