"""The overview page (GET /) in headless Chromium, on the demo cluster: no console
error, no request but the page, no script, the styles allowed by the CSP applied, and
the same figures as /api/v1/summary. The screenshot goes to build/test-output/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from exporter.overview import quota_keys
from tests.e2e.chromium import browser_tab
from tests.e2e.conftest import RunningDaemon

OUTPUT = Path(__file__).resolve().parents[2] / "build" / "test-output"
# What the page shows, read from its DOM (DevTools evaluates this; the page has no JS).
READ_PAGE = """(() => {
  const all = sel => [...document.querySelectorAll(sel)];
  const text = el => el.textContent.trim();
  const value = (tr, sel) => { const d = tr.querySelector(sel); return d ? d.value : null; };
  return {
    scripts: document.scripts.length,
    links: all('nav a').map(a => a.getAttribute('href')),
    quotas: all('tr.quota').map(tr => ({
      cells: [...tr.cells].map(text), level: tr.classList[1],
      saturation: value(tr, 'data.saturation'),
      fill: getComputedStyle(tr.querySelector('rect.fill')).fill,
    })),
    refusals: all('tr.refusal').map(tr => [...tr.cells].map(text)),
    teams: all('tr.team').map(tr => ({
      cells: [...tr.cells].map(text), month_to_date: value(tr, 'data.month_to_date'),
      projected: value(tr, 'data.projected'), budget: value(tr, 'data.budget'),
    })),
  };
})()"""
GREEN, AMBER = "rgb(47, 125, 79)", "rgb(208, 138, 0)"


async def summary(daemon: RunningDaemon) -> dict[str, Any]:
    async with daemon.session.get(f"{daemon.url}/api/v1/summary") as r:
        assert r.status == 200
        return await r.json()


async def refused(daemon: RunningDaemon) -> dict[str, Any]:
    """The summary once the demo's batch-runner Deployment has been refused."""
    async with asyncio.timeout(30):
        while True:
            body = await summary(daemon)
            if any(q["rejections"]["last"] for ns in body["namespaces"] for q in ns["quotas"]):
                return body
            await asyncio.sleep(0.2)


def between(shown: str, before: float, after: float) -> bool:
    """A figure read while it grows (or holds) from ``before`` to ``after``."""
    low, high = sorted((before, after))
    return low * (1 - 1e-9) <= float(shown) <= high * (1 + 1e-9)


async def test_the_overview_page_in_headless_chromium(
    demo_daemon: RunningDaemon, tmp_path: Path
) -> None:
    before = await refused(demo_daemon)
    async with browser_tab(tmp_path / "profile") as tab:
        visit = await tab.visit(f"{demo_daemon.url}/")
        page = await tab.evaluate(READ_PAGE)
        shot = await tab.screenshot(OUTPUT / "overview.png")
    after = await summary(demo_daemon)

    assert visit.status == 200
    assert visit.errors == []
    assert set(visit.requests) <= {f"{demo_daemon.url}/", "data:,"}  # no asset fetched
    assert page["scripts"] == 0
    assert page["links"] == [
        "chargeback.csv?group_by=team", "chargeback.csv?group_by=namespace",
        "chargeback.csv?group_by=vcluster", "chargeback.csv?format=focus",
        "api/v1/recommendations", "api/v1/summary", "metrics",
    ]  # fmt: skip

    # Quotas: every key of the summary, most saturated first, with its saturation.
    keys = quota_keys(before["namespaces"])
    assert [(q["cells"][0], q["cells"][2], q["cells"][3]) for q in page["quotas"]] == [
        (k["namespace"], k["quota"], k["resource"]) for k in keys
    ]
    assert [float(q["saturation"]) for q in page["quotas"]] == [k["saturation"] for k in keys]
    staging_cpu = page["quotas"][0]
    assert staging_cpu["cells"][:4] == ["staging", "agents", "staging-quota", "requests.cpu"]
    assert (staging_cpu["cells"][4:], staging_cpu["level"]) == (["3.6", "4", "90.0%"], "warn")
    assert staging_cpu["fill"] == AMBER  # the inline stylesheet applied: the CSP let it in
    assert {q["fill"] for q in page["quotas"][1:]} == {GREEN}
    assert ["dev", "agents", "dev-quota", "requests.memory", "256Mi", "2Gi", "12.5%"] in [
        q["cells"] for q in page["quotas"]
    ]

    # Refusals: the staging quota's newest, as the summary has it.
    (refusal,) = page["refusals"]
    assert refusal[1:3] == ["staging", "staging-quota"]
    assert refusal[3].startswith("batch-runner-")
    assert "requests.cpu: requested 1600m, used 3600m of 4" in refusal[4]

    # Teams: budgets equal, month-to-date and projection between the two summaries.
    teams = {t["cells"][0]: t for t in page["teams"]}
    assert sorted(teams) == sorted(t["team"] for t in before["teams"])
    for old, new in zip(before["teams"], after["teams"], strict=True):
        shown = teams[old["team"]]
        assert shown["budget"] == (None if old["budget"] is None else repr(old["budget"]))
        assert between(shown["month_to_date"], old["month_to_date"], new["month_to_date"])
        assert between(shown["projected"], old["projected"], new["projected"])
    assert teams["ml"]["cells"][3] == "2,500.00"
    assert teams["ml"]["cells"][4] == "within budget"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000


async def test_the_browser_check_sees_a_refused_style_and_a_missing_asset(
    tmp_path: Path,
) -> None:
    """The checks above can fail: a page whose CSP refuses its own style and which
    loads an image that is not there shows both as console errors."""
    page = (
        "data:text/html,<meta http-equiv='Content-Security-Policy' content=\"style-src 'none'\">"
        "<p style='color:red'>x</p><img src='http://127.0.0.1:9/missing.png'>"
    )
    async with browser_tab(tmp_path / "profile") as tab:
        visit = await tab.visit(page)
    assert any("Content Security Policy" in e for e in visit.errors), visit.errors
    assert "http://127.0.0.1:9/missing.png" in visit.requests
    assert any(e.startswith("network:") for e in visit.errors), visit.errors
