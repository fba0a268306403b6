"""The overview page rendered from literal summary bodies: order, colours, escaping,
empty states and the CSP that admits exactly its stylesheet."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from typing import Any

from exporter.overview import CSP, MAX_QUOTA_ROWS, STYLE, budget_state, render_overview, severity

NOW = 1_796_300_000.0  # 2026-12-02 UTC


def quota(name: str, **keys: tuple[float, float | None]) -> dict:
    resources = {
        key: {"hard": hard, "used": used, "saturation": None if used is None or not hard
              else used / hard, "observed_used": None}
        for key, (hard, used) in keys.items()
    }  # fmt: skip
    return {"name": name, "scopes": "", "resources": resources,
            "rejections": {"total": {}, "last": None}}  # fmt: skip


def body(namespaces: list[dict], teams: list[dict] | None = None) -> dict:
    return {"metrics_api_up": True, "namespaces": namespaces, "teams": teams or [],
            "currency": "EUR"}  # fmt: skip


class Page(HTMLParser):
    """The elements of a page: (tag, attributes) in order, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def rows(self, cls: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == "tr" and (a.get("class") or "").startswith(cls)]


def test_keys_by_saturation_coloured_at_90_and_100_percent() -> None:
    ns = {"namespace": "dev", "team": "a", "quotas": [
        quota("q", **{"pods": (10, 9), "requests.cpu": (2, 2.5), "requests.memory": (4, 1),
                      "limits.cpu": (0, 0), "count/jobs.batch": (5, None)}),
    ]}  # fmt: skip
    page = Page(render_overview(body([ns]), now=NOW))
    saturations = [
        a["value"] for t, a in page.elements if t == "data" and a.get("class") == "saturation"
    ]
    assert saturations == ["1.25", "0.9", "0.25", "", ""]  # unknown last
    assert [r["class"] for r in page.rows("quota")] == [
        "quota full", "quota warn", "quota ok", "quota ok", "quota ok",
    ]  # fmt: skip
    fills = [a["width"] for t, a in page.elements if t == "rect" and a["class"] == "fill"]
    assert fills == ["100.00", "90.00", "25.00", "0.00", "0.00"]  # over 100% fills the bar
    assert (severity(0.8999), severity(0.9), severity(0.9999), severity(1.0)) == (
        "ok", "warn", "warn", "full",
    )  # fmt: skip


def test_text_from_the_cluster_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    ns: dict[str, Any] = {
        "namespace": "dev",
        "team": evil,
        "quotas": [quota('q"><b>', pods=(1, 1))],
    }
    ns["quotas"][0]["rejections"] = {"total": {"pods": 3}, "last": {
        "time": "2026-12-01T10:00:00Z", "pod": "<img src=x>", "kind": "exceeded",
        "resources": ["pods"], "requested": {"pods": "1"}, "used": {"pods": "1"},
        "limited": {"pods": "1"},
    }}  # fmt: skip
    teams = [{"team": evil, "budget": None, "month_to_date": 1.0, "projected": 2.0}]
    html = render_overview(body([ns], teams), cluster="<i>c</i>", now=NOW)
    page = Page(html)
    tags = {t for t, _ in page.elements}
    assert not tags & {"script", "img", "b", "i"}
    assert evil in "".join(page.text)
    assert "&lt;img src=x&gt;" in html


def test_many_keys_are_cut_and_an_empty_cluster_says_so() -> None:
    ns = {"namespace": "big", "team": "t",
          "quotas": [quota(f"q{i}", pods=(100, i)) for i in range(MAX_QUOTA_ROWS + 7)]}  # fmt: skip
    page = Page(render_overview(body([ns]), now=NOW))
    assert len(page.rows("quota")) == MAX_QUOTA_ROWS
    assert "7 less saturated keys are in the JSON summary." in "".join(page.text)
    empty = "".join(Page(render_overview(body([]), now=NOW)).text)
    assert "No ResourceQuota in the watched namespaces." in empty
    assert "No pod refused by a quota since quotameter started." in empty


def test_teams_against_budget_largest_projection_first() -> None:
    teams: list[dict[str, Any]] = [
        {"team": "a", "budget": 100.0, "month_to_date": 120.0, "projected": 300.0},
        {"team": "b", "budget": 100.0, "month_to_date": 50.0, "projected": 150.0},
        {"team": "c", "budget": None, "month_to_date": 0.001, "projected": 400.0},
        {"team": "d", "budget": 1000.0, "month_to_date": 10.0, "projected": 20.0},
    ]
    html = render_overview(body([], teams), now=NOW)
    page = Page(html)
    assert [r["class"] for r in page.rows("team")] == ["team ok", "team full", "team warn",
                                                       "team ok"]  # fmt: skip
    text = "".join(page.text)
    for words in ("over budget", "projected over budget", "no budget", "< 0.01", "1,000.00"):
        assert words in text
    values = [a["value"] for t, a in page.elements if t == "data" and a.get("class") == "total"]
    assert values == ["180.001"]
    assert budget_state(100.0, 100.0, 100.0) == ("ok", "within budget")


def test_the_csp_admits_exactly_the_inline_stylesheet() -> None:
    html = render_overview(body([]), now=NOW)
    (style,) = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert style == STYLE
    assert f"style-src 'sha256-{digest}'" in CSP
    assert CSP.startswith("default-src 'none';")  # no script, no font, no connection
    assert "unsafe" not in CSP
    assert " style=" not in html
    assert "<script" not in html
