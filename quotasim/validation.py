"""Field validation the apiserver does before admission, as far as quotameter's inputs
depend on it: a pod must have containers."""

from __future__ import annotations

from quotasim.apierrors import SimError


def required(kind: str, name: str, field: str) -> SimError:
    """The 422 Invalid for a missing required field, with its one cause."""
    return SimError(
        422,
        "Invalid",
        f'{kind} "{name}" is invalid: {field}: Required value',
        details={
            "name": name,
            "kind": kind,
            "causes": [
                {"reason": "FieldValueRequired", "message": "Required value", "field": field}
            ],
        },
    )


def validate_pod(pod: dict) -> None:
    """Refuse a pod the real apiserver would refuse for want of containers."""
    if not (pod.get("spec") or {}).get("containers"):
        raise required("Pod", pod["metadata"]["name"], "spec.containers")
