"""Bad requests get the 4xx the real API server sends, never a 500."""

from __future__ import annotations

import aiohttp
import pytest

from quotasim.cluster import DEPLOYMENT
from quotasim.server import SimServer

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


@pytest.fixture
async def http(sim: SimServer):
    async with aiohttp.ClientSession(base_url=sim.url) as session:
        yield session


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/pods?includeObject=Bogus", {"headers": {"Accept": TABLE}}, 400),
        ("GET", "/api/v1/pods?watch=1&includeObject=Bogus", {"headers": {"Accept": TABLE}}, 400),
        ("GET", "/api/v1/pods?watch=1&timeoutSeconds=abc", {}, 400),
        ("GET", "/api/v1/namespaces/dev/nodes", {}, 404),
        (
            "PATCH",
            "/api/v1/namespaces/dev/pods/x",
            {"data": b"{not json", "headers": {"Content-Type": "application/merge-patch+json"}},
            400,
        ),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/dev/deployments/agent-api/scale",
            {
                "data": b'{"spec": {"replicas": true}}',
                "headers": {"Content-Type": "application/merge-patch+json"},
            },
            422,
        ),
        (
            "PUT",
            "/apis/apps/v1/namespaces/dev/deployments/agent-api/scale",
            {"data": b'{"spec": null}'},
            422,
        ),
        ("DELETE", "/apis/apps/v1/namespaces/dev/deployments/agent-api/scale", {}, 405),
        ("POST", "/api/v1/namespaces/dev/pods?dryRun=All", {"data": b"{}"}, 400),
    ],
)
async def test_status(http, method: str, path: str, kwargs: dict, status: int) -> None:
    async with http.request(method, path, **kwargs) as r:
        assert r.status == status
        body = await r.json()
    assert (body["kind"], body["code"]) == ("Status", status)


async def test_subresource_delete_leaves_the_deployment(sim: SimServer, http) -> None:
    async with http.delete("/apis/apps/v1/namespaces/dev/deployments/agent-api/status") as r:
        assert r.status == 405
    assert sim.cluster.get(DEPLOYMENT, "dev", "agent-api")["spec"]["replicas"] == 2
