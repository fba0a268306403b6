"""The error every part of the simulated API raises: a Status the server sends back."""

from __future__ import annotations


class SimError(Exception):
    """An API error with the code, reason and message the real server would send."""

    def __init__(self, code: int, reason: str, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details
