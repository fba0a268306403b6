"""The one place that catches every exception: containment of unexpected failures.

Errors quotameter expects are typed (exporter.errors) and handled where they arise.
What is left, a bug or a library's surprise, must not take the daemon down: the task
supervisor (exporter.kube.informer.supervise) and the HTTP error middleware
(exporter.web) run their work inside ``contain()`` and log and count what it caught.
Nothing else catches everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(slots=True)
class Contained:
    """What a ``contain()`` block caught: ``error`` is None when it ran to the end."""

    error: Exception | None = None


@contextmanager
def contain() -> Iterator[Contained]:
    """Run a block and keep any Exception it raises in the yielded ``Contained``.

    Cancellation, KeyboardInterrupt and SystemExit pass through: only failures stop here."""
    box = Contained()
    try:
        yield box
    except Exception as e:  # the one broad catch: see the module docstring
        box.error = e
