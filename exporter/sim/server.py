"""HTTP front of the simulated cluster: the Kubernetes REST API on loopback.

Paths, verbs, query parameters, Status bodies and watch streams follow the
real API server closely enough for kubectl and the official Python client.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml
from aiohttp import web

from exporter.sim import openapi, resources, tables
from exporter.sim.apierrors import SimError
from exporter.sim.cluster import Cluster, not_found
from exporter.sim.faults import Fault, FaultError, Faults
from exporter.sim.patch import SUPPORTED, PatchError, apply_patch
from exporter.sim.resources import BY_PATH, ResourceType
from exporter.sim.selectors import SelectorError
from exporter.sim.watching import WatchStream, list_matcher

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path names: a resource type, and maybe a namespace, name, subresource."""

    rtype: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_path(group: str, version: str, parts: list[str]) -> Target:
    """Resolve the path segments after /api/v1 or /apis/<group>/<version>."""
    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces" and (group, version, parts[2]) in BY_PATH:
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3 or (group, version, parts[0]) not in BY_PATH:
        raise SimError(404, "NotFound", "the server could not find the requested resource")
    rtype = BY_PATH[(group, version, parts[0])]
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and sub not in rtype.subresources:
        raise SimError(404, "NotFound", "the server could not find the requested resource")
    return Target(rtype, namespace, name, sub)


def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status failure body."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def json_response(body: object, status: int = 200, headers: dict | None = None) -> web.Response:
    """A JSON response encoded with orjson."""
    return web.Response(body=orjson.dumps(body), status=status, content_type=JSON, headers=headers)


def with_kind(rtype: ResourceType, obj: dict) -> dict:
    """A stored object as served on its own: with apiVersion and kind."""
    return {"apiVersion": rtype.api_version, "kind": rtype.kind, **obj}


class SimServer:
    """The simulated API server: a Cluster, its faults, and an aiohttp app on loopback."""

    def __init__(self, cluster: Cluster, *, token: str = "", bookmark_seconds: float = 5.0) -> None:
        self.cluster = cluster
        self.faults = Faults()
        self.token = token
        self.bookmark_seconds = bookmark_seconds
        self.url = ""
        self.app = web.Application(client_max_size=64 * 2**20)
        self.app.router.add_route("*", "/api/{path:.*}", self._core)
        self.app.router.add_route("*", "/apis/{path:.*}", self._groups)
        self.app.router.add_get("/api", self._api_versions)
        self.app.router.add_get("/apis", self._api_groups)
        self.app.router.add_get("/version", self._version)
        self.app.router.add_get("/openapi/v3", self._openapi_root)
        self.app.router.add_get("/openapi/v3/{path:.*}", self._openapi_gv)
        for path in ("/healthz", "/readyz", "/livez"):
            self.app.router.add_get(path, self._ok)
        self.app.router.add_post("/sim/faults", self._add_fault)
        self.app.router.add_post("/sim/resync", self._resync)
        self._runner: web.AppRunner | None = None

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port); returns the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        """Close every connection, watch streams included."""
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
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": "quotameter-sim", "cluster": {"server": self.url}}],
            # kubectl sends no bearer token over plain http, so the token is opt-in.
            "users": [{"name": "sim-user", "user": {"token": self.token} if self.token else {}}],
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
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # -- discovery -------------------------------------------------------------------------

    async def _ok(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _version(self, request: web.Request) -> web.Response:
        return json_response(resources.SERVER_VERSION)

    async def _api_versions(self, request: web.Request) -> web.Response:
        return json_response(resources.core_versions(request.host))

    async def _openapi_root(self, request: web.Request) -> web.Response:
        return json_response(openapi.root_document())

    async def _openapi_gv(self, request: web.Request) -> web.Response:
        doc = openapi.group_version_document(request.match_info["path"])
        if doc is None:
            return json_response(
                status_body(404, "NotFound", "the server could not find the requested resource"),
                404,
            )
        return json_response(doc)

    async def _api_groups(self, request: web.Request) -> web.Response:
        return json_response(resources.group_list())

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

    # -- the REST API ----------------------------------------------------------------------

    async def _core(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        if parts[:1] != ["v1"]:
            return json_response(
                status_body(404, "NotFound", "the server could not find the requested resource"),
                404,
            )
        return await self._serve(request, "", "v1", parts[1:])

    async def _groups(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        if len(parts) == 1 and parts[0] in resources.GROUPS:
            version = resources.GROUPS[parts[0]]
            gv = {"groupVersion": f"{parts[0]}/{version}", "version": version}
            return json_response(
                {
                    "kind": "APIGroup",
                    "apiVersion": "v1",
                    "name": parts[0],
                    "versions": [gv],
                    "preferredVersion": gv,
                }
            )
        if len(parts) < 2 or resources.GROUPS.get(parts[0]) != parts[1]:
            return json_response(
                status_body(404, "NotFound", "the server could not find the requested resource"),
                404,
            )
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
            fault = self.faults.take(("http",), target.rtype.plural, target.rtype.group)
            if fault is not None:
                return _fault_response(fault)
            return await self._dispatch(request, target)
        except SimError as e:
            return json_response(status_body(e.code, e.reason, e.message, e.details), e.code)
        except (SelectorError, PatchError, FaultError) as e:
            return json_response(status_body(400, "BadRequest", str(e)), 400)

    def _authorized(self, request: web.Request) -> bool:
        return not self.token or request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _dispatch(self, request: web.Request, target: Target) -> web.StreamResponse:
        method = request.method
        if method == "GET":
            return await self._get(request, target)
        if target.rtype.group == "metrics.k8s.io":
            raise SimError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        if method == "POST" and target.name is None:
            _refuse_dry_run(request)
            obj = self._create(await _read_body(request), target)
            return json_response(with_kind(target.rtype, obj), 201)
        _refuse_dry_run(request)
        if target.subresource == "scale" and method in ("PUT", "PATCH"):
            return json_response(scale_of(await self._write_scale(request, target)))
        if method == "PUT" and target.name is not None:
            body = await _read_body(request)
            obj = self.cluster.update(
                target.rtype,
                body,
                namespace=target.namespace or "",
                subresource=target.subresource or "",
            )
            return json_response(with_kind(target.rtype, obj))
        if method == "PATCH" and target.name is not None:
            return json_response(with_kind(target.rtype, await self._patch(request, target)))
        if method == "DELETE":
            return self._delete(request, target)
        raise SimError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )

    def _create(self, body: dict, target: Target) -> dict:
        return self.cluster.create(target.rtype, body, namespace=target.namespace or "")

    async def _write_scale(self, request: web.Request, target: Target) -> dict:
        """PUT or PATCH of deployments/<name>/scale: only spec.replicas changes."""
        current = self.cluster.get(target.rtype, target.namespace or "", target.name or "")
        if request.method == "PUT":
            scale = await _read_body(request)
        else:
            scale = apply_patch(
                _patch_type(request), scale_of(current), orjson.loads(await request.read())
            )
        replicas = scale.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise SimError(
                422,
                "Invalid",
                f'Scale.autoscaling "{target.name}" is invalid: '
                "spec.replicas: Invalid value: must be greater than or equal to 0",
            )
        body = {**current, "spec": {**current["spec"], "replicas": replicas}}
        return self.cluster.update(target.rtype, body, namespace=target.namespace or "")

    async def _patch(self, request: web.Request, target: Target) -> dict:
        content_type = _patch_type(request)
        patch = orjson.loads(await request.read())
        current = self.cluster.get(target.rtype, target.namespace or "", target.name or "")
        merged = apply_patch(content_type, with_kind(target.rtype, current), patch)
        merged.setdefault("metadata", {})["resourceVersion"] = current["metadata"][
            "resourceVersion"
        ]
        return self.cluster.update(
            target.rtype,
            merged,
            namespace=target.namespace or "",
            subresource=target.subresource or "",
        )

    def _delete(self, request: web.Request, target: Target) -> web.Response:
        if target.name is not None:
            gone = self.cluster.delete(target.rtype, target.namespace or "", target.name)
            return json_response(with_kind(target.rtype, gone))
        match = list_matcher(target.rtype, request.query)
        doomed = [
            o
            for o in self.cluster.store.iter(target.rtype, target.namespace)
            if match is None or match(o)
        ]
        gone = [
            self.cluster.delete(
                target.rtype, o["metadata"].get("namespace", ""), o["metadata"]["name"]
            )
            for o in doomed
        ]
        return json_response(
            {
                "kind": target.rtype.list_kind,
                "apiVersion": target.rtype.api_version,
                "metadata": {},
                "items": gone,
            }
        )

    async def _get(self, request: web.Request, target: Target) -> web.StreamResponse:
        query = request.query
        table = tables.accepts_table(request.headers.get("Accept", ""))
        if query.get("watch") in ("1", "true"):
            if not target.rtype.watchable or target.name is not None:
                raise SimError(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                )
            stream = WatchStream(self, target.rtype, target.namespace, query, table=table)
            return await stream.run(request)
        if target.subresource == "scale":
            return json_response(scale_of(self._get_one(target)))
        if target.name is not None:
            obj = self._get_one(target)
            if table:
                return json_response(
                    tables.render_table(
                        target.rtype.plural,
                        [obj],
                        list_meta={"resourceVersion": ""},
                        include_object=query.get("includeObject", "Metadata"),
                        now=_now(self.cluster),
                        api_version=table,
                    )
                )
            return json_response(with_kind(target.rtype, obj))
        return self._list(target, query, table)

    def _get_one(self, target: Target) -> dict:
        if target.rtype.group == "metrics.k8s.io":
            from exporter.sim.listing import metrics_items

            items = metrics_items(self.cluster, target.rtype, target.namespace)
            for item in items:
                if item["metadata"]["name"] == target.name:
                    return item
            raise not_found(target.rtype, target.name or "")
        return self.cluster.get(target.rtype, target.namespace or "", target.name or "")

    def _list(self, target: Target, query, table: str | None) -> web.Response:
        from exporter.sim.listing import list_body

        body = list_body(self.cluster, target.rtype, target.namespace, query)
        if table:
            meta = body["metadata"]
            body = tables.render_table(
                target.rtype.plural,
                body["items"],
                list_meta=meta,
                include_object=query.get("includeObject", "Metadata"),
                now=_now(self.cluster),
                api_version=table,
            )
        return json_response(body)


def _patch_type(request: web.Request) -> str:
    if request.content_type not in SUPPORTED:
        raise SimError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types "
            f"include: {', '.join(SUPPORTED)}",
        )
    return request.content_type


def _refuse_dry_run(request: web.Request) -> None:
    # Better a clear refusal than a dry run that quietly writes.
    if request.query.get("dryRun"):
        raise SimError(400, "BadRequest", "dryRun is not supported by the simulated API server")


def scale_of(deployment: dict) -> dict:
    """The autoscaling/v1 Scale view of a Deployment."""
    meta = deployment["metadata"]
    labels = deployment["spec"].get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {
            "replicas": deployment.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }


def _fault_response(fault: Fault) -> web.Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    reasons = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        410: "Expired",
        429: "TooManyRequests",
        500: "InternalError",
        503: "ServiceUnavailable",
    }
    reason = reasons.get(fault.status, "InternalError")
    message = (
        "Too many requests, please try again later."
        if fault.status == 429
        else "too old resource version"
        if fault.status == 410
        else 'an error on the server ("injected fault") has prevented the request from succeeding'
    )
    return json_response(status_body(fault.status, reason, message), fault.status, headers)


async def _read_body(request: web.Request) -> dict:
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw.lstrip()[:1] in (b"{", b"[") else yaml.safe_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise SimError(400, "BadRequest", f"the body could not be decoded: {e}") from e
    if not isinstance(body, dict):
        raise SimError(400, "BadRequest", "the body must be a JSON object")
    return body


def _now(cluster: Cluster):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(cluster.clock(), UTC)
