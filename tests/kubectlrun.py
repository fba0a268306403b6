"""Running the real kubectl against the simulated API server from async tests."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path


async def kubectl(kubeconfig: Path, *args: str, wait: float = 20) -> str:
    """Run kubectl without blocking the event loop the simulated server runs on; fail the
    test on a non-zero exit or anything written to stderr."""
    proc = await asyncio.create_subprocess_exec(
        "kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir",
        str(kubeconfig.parent / "cache"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), wait)
    assert proc.returncode == 0, err.decode()
    assert err.decode() == ""
    return out.decode()


async def kubectl_json(kubeconfig: Path, *args: str) -> dict:
    """`kubectl ... -o json`, decoded."""
    return json.loads(await kubectl(kubeconfig, *args, "-o", "json"))
