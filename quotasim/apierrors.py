"""The error every part of the simulated API raises: a Status the server sends back."""

from __future__ import annotations

from quotasim.resources import ResourceType


class SimError(Exception):
    """An API error with the code, reason and message the real server would send."""

    def __init__(self, code: int, reason: str, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def resource_not_found() -> SimError:
    """The 404 for a path that names no served resource."""
    return SimError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed() -> SimError:
    """The 405 for a verb the resource does not serve."""
    return SimError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def status_details(rtype: ResourceType, name: str) -> dict:
    """A Status's details as the apiserver writes them: an empty (core) group is left out."""
    details = {"name": name, "group": rtype.group, "kind": rtype.plural}
    return details if rtype.group else {"name": name, "kind": rtype.plural}


def not_found(rtype: ResourceType, name: str) -> SimError:
    """The 404 for a missing object."""
    group = f".{rtype.group}" if rtype.group else ""
    return SimError(
        404,
        "NotFound",
        f'{rtype.plural}{group} "{name}" not found',
        details=status_details(rtype, name),
    )
