"""HTTP front of the simulated cluster: the Kubernetes REST API on loopback.

Paths, verbs, query parameters, Status bodies and watch streams follow the
real API server closely enough for kubectl and the official Python client.
Routing and dispatch live here; `reading`, `writing` and `scaling` answer the
verbs, `discovery` the discovery and OpenAPI documents.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import yaml
from aiohttp import web

from quotasim import discovery, reading, resources, writing
from quotasim.apierrors import SimError, method_not_allowed, resource_not_found
from quotasim.cluster import Cluster
from quotasim.context import ApiContext
from quotasim.faults import HTTP_FAULTS, Fault, FaultError, Faults
from quotasim.patch import PatchError
from quotasim.responses import error_response, fault_response, json_response, status_body
from quotasim.routing import Target, parse_path
from quotasim.scaling import scale_of, write_scale
from quotasim.selectors import SelectorError
from quotasim.tables.rendering import TableOptionsError
from quotasim.watching import flood_body

# How often refused pod creations are looked at for a due retry.
RETRY_TICK_SECONDS = 0.05


def kubeconfig(url: str, *, token: str, namespace: str) -> dict:
    """A kubeconfig for kubectl and client libraries, with one context: this server."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": "quotameter-sim", "cluster": {"server": url}}],
        # kubectl sends no bearer token over plain http, so the token is opt-in.
        "users": [{"name": "sim-user", "user": {"token": token} if token else {}}],
        "contexts": [
            {
                "name": "quotameter-sim",
                "context": {
                    "cluster": "quotameter-sim",
                    "user": "sim-user",
                    "namespace": namespace,
                },
            }
        ],
        "current-context": "quotameter-sim",
    }


class SimServer:
    """The simulated API server: a Cluster, its faults, and an aiohttp app on loopback."""

    def __init__(self, cluster: Cluster, *, token: str = "", bookmark_seconds: float = 5.0) -> None:
        self.cluster = cluster
        self.faults = Faults()
        self.token = token
        self.bookmark_seconds = bookmark_seconds
        self.context = ApiContext(cluster, self.faults, bookmark_seconds)
        self.url = ""
        self.app = web.Application(client_max_size=64 * 2**20)
        self._add_routes(self.app.router)
        self._runner: web.AppRunner | None = None
        self._controllers: asyncio.Task[None] | None = None

    def _add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/api/{path:.*}", self._core)
        router.add_route("*", "/apis/{path:.*}", self._groups)
        router.add_get("/api", discovery.api_versions)
        router.add_get("/apis", discovery.api_groups)
        router.add_get("/version", discovery.version)
        router.add_get("/openapi/v3", discovery.openapi_root)
        router.add_get("/openapi/v3/{path:.*}", discovery.openapi_group_version)
        for path in ("/healthz", "/readyz", "/livez"):
            router.add_get(path, discovery.ok)
        router.add_post("/sim/faults", self._add_fault)
        router.add_post("/sim/resync", self._resync)
        router.add_post("/sim/touch", self._touch)

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); returns the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        self._controllers = asyncio.create_task(self._requeue_refused())
        return self.url

    async def _requeue_refused(self) -> None:
        """Retry refused pod creations on their backoff, as the ReplicaSet controller does."""
        while True:
            await asyncio.sleep(RETRY_TICK_SECONDS)
            self.cluster.deployments.retry_due()

    async def stop(self) -> None:
        """Close every connection, watch streams included."""
        if self._controllers is not None:
            self._controllers.cancel()
            await asyncio.gather(self._controllers, return_exceptions=True)
            self._controllers = None
        streams = list(self.context.streams)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def inject(self, fault: Fault) -> None:
        """Queue a fault; stream faults wake the open watches so they act at once."""
        if fault.kind == "expire-continue":
            self.cluster.store.expire_continue_tokens()
            return
        self.faults.add(fault)
        self.cluster.store.broadcast(fault)

    def write_kubeconfig(self, path: Path, *, namespace: str = "default") -> Path:
        """Write a kubeconfig that points kubectl and client libraries at this server."""
        config = kubeconfig(self.url, token=self.token, namespace=namespace)
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # -- control endpoints -----------------------------------------------------------------

    async def _add_fault(self, request: web.Request) -> web.Response:
        try:
            fault = Faults.from_json(await request.json(loads=orjson.loads))
            self.inject(fault)
        except (FaultError, orjson.JSONDecodeError) as e:
            return json_response(status_body(400, "BadRequest", str(e)), 400)
        return json_response({"queued": fault.kind}, 202)

    async def _resync(self, request: web.Request) -> web.Response:
        self.cluster.resync()
        return json_response({"resourceVersion": str(self.cluster.store.rv)})

    async def _touch(self, request: web.Request) -> web.Response:
        try:
            count = int(request.query.get("count", "1"))
        except ValueError:
            return json_response(status_body(400, "BadRequest", "count must be an integer"), 400)
        started = time.perf_counter()
        touched = self.cluster.touch_pods(count)
        return json_response(
            {
                "touched": touched,
                "seconds": time.perf_counter() - started,
                "resourceVersion": str(self.cluster.store.rv),
            }
        )

    # -- the REST API ----------------------------------------------------------------------

    async def _core(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        if parts[:1] != ["v1"]:
            return error_response(resource_not_found())
        return await self._serve(request, "", "v1", parts[1:])

    async def _groups(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        if len(parts) == 1 and parts[0] in resources.GROUPS:
            return discovery.api_group(parts[0])
        if len(parts) < 2 or resources.GROUPS.get(parts[0]) != parts[1]:
            return error_response(resource_not_found())
        return await self._serve(request, parts[0], parts[1], parts[2:])

    async def _serve(
        self, request: web.Request, group: str, version: str, parts: list[str]
    ) -> web.StreamResponse:
        if not self._authorized(request):
            return json_response(status_body(401, "Unauthorized", "Unauthorized"), 401)
        if not parts:
            return json_response(resources.resource_list(group, version))
        try:
            target = parse_path(group, version, parts)
            fault = self.faults.take(HTTP_FAULTS, target.rtype.plural, target.rtype.group)
            if fault is not None and fault.kind == "flood-body":
                return await flood_body(request)
            if fault is not None:
                return fault_response(fault)
            return await self._dispatch(request, target)
        except SimError as e:
            return error_response(e)
        except (SelectorError, PatchError, FaultError, TableOptionsError) as e:
            return json_response(status_body(400, "BadRequest", str(e)), 400)

    def _authorized(self, request: web.Request) -> bool:
        return not self.token or request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _dispatch(self, request: web.Request, target: Target) -> web.StreamResponse:
        method = request.method
        if method == "GET":
            return await reading.get(self.context, request, target)
        if target.rtype.group == "metrics.k8s.io":
            raise method_not_allowed()
        writing.refuse_dry_run(request)
        if method == "POST" and target.name is None:
            return await writing.create(self.cluster, request, target)
        if target.subresource == "scale" and method in ("PUT", "PATCH"):
            return json_response(scale_of(await write_scale(self.cluster, request, target)))
        if method == "PUT" and target.name is not None:
            return await writing.replace(self.cluster, request, target)
        if method == "PATCH" and target.name is not None:
            return await writing.patch(self.cluster, request, target)
        if method == "DELETE" and target.subresource is None:
            return writing.delete(self.cluster, request, target)
        raise method_not_allowed()
