"""Headless Chromium driven over the DevTools protocol (aiohttp websockets), for tests.

Debian's `chromium` (.ci/run installs it) is started with a fresh profile and no
background networking; a page is loaded, and what a person would see is collected:
the console's errors (CSP refusals and failed loads among them), every request the
page made, values read from its DOM, and a full-page screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.aioprocess import stop

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
)  # fmt: skip


def chromium() -> str:
    """The browser executable; a missing browser fails the test, never skips it."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed (`apt-get install chromium`; .ci/run does)")


@dataclass
class PageVisit:
    """What one page load showed."""

    errors: list[str] = field(default_factory=list)  # console errors, exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page fetched
    status: int | None = None  # of the document


class Tab:
    """One page target, spoken to with DevTools commands."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data:
                self._waiting.pop(data["id"]).set_result(data)
            else:
                await self._events.put(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one command; its result (a DevTools error fails the test)."""
        number = next(self._ids)
        answer = self._waiting[number] = asyncio.get_running_loop().create_future()
        await self.ws.send_json({"id": number, "method": method, "params": params})
        data = await asyncio.wait_for(answer, 30)
        assert "error" not in data, (method, data["error"])
        return data["result"]

    async def visit(self, url: str, *, settle: float = 0.5) -> PageVisit:
        """Load ``url`` and collect its console errors and requests until it settles."""
        for domain in ("Page", "Runtime", "Log", "Network"):
            await self.send(f"{domain}.enable")
        await self.send("Page.navigate", url=url)
        visit, loaded = PageVisit(), False
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            left = settle if loaded else deadline - asyncio.get_running_loop().time()
            try:
                event = await asyncio.wait_for(self._events.get(), max(left, 0.01))
            except TimeoutError:
                assert loaded, f"{url} did not load within 30 s"
                return visit
            loaded = loaded or event["method"] == "Page.loadEventFired"
            _note(visit, event)

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (DevTools runs it
        whatever the page's CSP says)."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def screenshot(self, path: Path, *, width: int = 1280) -> Path:
        """A PNG of the whole page, ``width`` CSS pixels wide."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=800,
                        deviceScaleFactor=1, mobile=False)  # fmt: skip
        height = await self.evaluate("document.documentElement.scrollHeight")
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=int(height),
                        deviceScaleFactor=1, mobile=False)  # fmt: skip
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _note(visit: PageVisit, event: dict[str, Any]) -> None:
    method, params = event["method"], event.get("params", {})
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        visit.errors.append(f"{params['entry']['source']}: {params['entry']['text']}")
    elif method == "Runtime.exceptionThrown":
        visit.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
    elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
        visit.errors.append(f"console.{params['type']}: {params['args']}")
    elif method == "Network.requestWillBeSent":
        visit.requests.append(params["request"]["url"])
    elif method == "Network.responseReceived" and params["type"] == "Document":
        visit.status = params["response"]["status"]
    elif method == "Network.loadingFailed":
        visit.errors.append(f"network: {params.get('errorText')} ({params.get('blockedReason')})")


@contextlib.asynccontextmanager
async def browser_tab(profile: Path) -> AsyncIterator[Tab]:
    """Chromium with a fresh profile at ``profile`` (it makes the folder), and one tab."""
    process = await asyncio.create_subprocess_exec(
        chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port = await _devtools_port(profile, process)
        async with aiohttp.ClientSession() as http:
            async with http.put(f"http://127.0.0.1:{port}/json/new?about:blank") as r:
                assert r.status == 200, await r.text()
                target = await r.json()
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tab = Tab(ws)
                try:
                    yield tab
                finally:
                    await tab.close()
    finally:
        await stop(process)


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    """The port Chromium chose, from the DevToolsActivePort file it writes."""
    marker = profile / "DevToolsActivePort"
    async with asyncio.timeout(30):
        while not (marker.is_file() and marker.read_text().strip()):
            assert process.returncode is None, f"chromium exited with {process.returncode}"
            await asyncio.sleep(0.05)
    return int(marker.read_text().splitlines()[0])
