"""Label and field selectors as the API server applies them."""

from __future__ import annotations

import pytest

from quotasim.selectors import (
    Matcher,
    SelectorError,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "api", "tier": "web", "team": "agents"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("app=api", True),
        ("app==api", True),
        ("app!=api", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (api, db)", True),
        ("app notin (api)", False),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=api,tier in (web),team", True),
        ("app=api,tier=db", False),
    ],
)
def test_label_selector(selector: str, expected: bool) -> None:
    assert labels_match(parse_label_selector(selector), LABELS) is expected


def test_bad_label_selector_is_an_error() -> None:
    with pytest.raises(SelectorError, match="unable to parse requirement"):
        parse_label_selector("app in api")


def field_matcher(plural: str, text: str) -> Matcher:
    match = parse_field_selector(plural, text)
    assert match is not None  # a selector was given
    return match


def test_field_selector_on_pods() -> None:
    pod = {
        "metadata": {"name": "p", "namespace": "dev"},
        "spec": {"nodeName": "worker-1"},
        "status": {"phase": "Running"},
    }
    assert field_matcher("pods", "status.phase=Running,spec.nodeName=worker-1")(pod)
    assert not field_matcher("pods", "status.phase!=Running")(pod)
    assert field_matcher("pods", "metadata.namespace==dev")(pod)


def test_unsupported_field_label() -> None:
    with pytest.raises(SelectorError, match=r"field label not supported: spec\.foo"):
        parse_field_selector("pods", "spec.foo=bar")


def test_event_fields() -> None:
    event = {
        "metadata": {"name": "e", "namespace": "dev"},
        "reason": "FailedCreate",
        "involvedObject": {"kind": "ReplicaSet"},
    }
    match = field_matcher("events", "reason=FailedCreate,involvedObject.kind=ReplicaSet")
    assert match(event)
