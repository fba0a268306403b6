"""Stopping a process a test started with asyncio: politely, then for sure."""

from __future__ import annotations

import asyncio


async def stop(process: asyncio.subprocess.Process, *, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``grace`` seconds."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()
