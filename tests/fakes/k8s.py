"""An HTTP-level fake of the Kubernetes API server on 127.0.0.1, serving real Kubernetes JSON to the official
`kubernetes` Python client (no mocks of the client: it speaks HTTP to this server).

Served (shapes from the Kubernetes API reference, core/v1, apps/v1 and the custom-objects endpoints):

| method | path | body |
|---|---|---|
| GET | /api/v1/namespaces/{ns}/pods[?labelSelector=k=v,...] | PodList with metadata.resourceVersion |
| GET | same with watch=true[&resourceVersion=N][&timeoutSeconds=T] | chunked JSON lines {"type", "object"} |
| GET | /api/v1/namespaces/{ns}/pods/{name} | Pod |
| GET | /api/v1/namespaces/{ns}/pods/{name}/log[?tailLines=N] | text/plain |
| GET | /api/v1/namespaces/{ns}/events[?fieldSelector=involvedObject.name=X] | EventList (core/v1 Event) |
| GET, PATCH | /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale | autoscaling/v1 Scale |
| GET, POST | /apis/{group}/{version}/namespaces/{ns}/{plural} | custom objects list / create (201) |
| GET, DELETE | /apis/{group}/{version}/namespaces/{ns}/{plural}/{name} | custom object / Status (404 when absent) |
| any | /api/v1/namespaces/{ns}/services/{svc}:{port}/proxy/{path} | handed to `proxy(method, path, body)` |

Errors are `Status` objects with `code` and `reason`, as the API server sends them. Extension points for richer
stand-ins (tests/testbed): `extra_route` sees every request first; `admit` may refuse a custom object before it is
stored (an admission webhook); `on_custom` hears each custom object created or deleted (a controller).
`stop()` drops the server and every open watch (the "API server went away" case); `start()` again serves the same
state on the same port.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Proxy = Callable[[str, str, Any], tuple[int, Any]]
Route = Callable[["_Handler", str, str, bytes], bool]
"""(handler, method, path with query, raw body) -> True when it answered the request."""


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def make_pod(
    name: str,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    node: str = "node-1",
    ip: str = "10.42.0.5",
    phase: str = "Running",
    ready: bool = True,
    restarts: int = 0,
    container: str = "taskmanager",
) -> dict[str, Any]:
    """A Pod as `kubectl get pod -o json` shows it (the fields the client requires are all present)."""
    now = iso(time.time() - 60)
    state = {"running": {"startedAt": now}} if phase == "Running" else {"waiting": {"reason": "ContainerCreating"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "resourceVersion": "1",
            "creationTimestamp": now,
            "labels": labels or {},
        },
        "spec": {"nodeName": node, "containers": [{"name": container, "image": "flink:1.20"}]},
        "status": {
            "phase": phase,
            "podIP": ip,
            "hostIP": "192.168.0.10",
            "startTime": now,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": container,
                    "ready": ready,
                    "restartCount": restarts,
                    "image": "flink:1.20",
                    "imageID": "docker.io/library/flink@sha256:0",
                    "state": state,
                }
            ],
        },
    }


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value.lstrip("="):
            return False
    return True


@dataclass
class FakeKubernetes:
    """The fake's state; mutate it through the methods so watches see the change."""

    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    scales: dict[str, int] = field(default_factory=dict)
    objects: dict[tuple[str, str, str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    proxy: Proxy | None = None
    on_scale: Callable[[str, int], None] | None = None
    """Called after a Deployment's scale changes, like the ReplicaSet controller would act on it."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0
    extra_route: Route | None = None
    admit: Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | None] | None = None
    """Called with a custom object before it is stored; a (code, Status) reply refuses it, as a webhook would."""
    on_custom: Callable[[str, dict[str, Any]], None] | None = None
    """Called with ("ADDED" | "DELETED", object) after a custom object is stored or removed."""

    def __post_init__(self) -> None:
        self.rv = 1
        self.history: list[tuple[int, str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        self.server: ThreadingHTTPServer | None = None
        self.generation = 0
        self.connections: set[socket.socket] = set()

    # --- state changes --------------------------------------------------------------------------------------------

    def put_pod(self, pod: dict[str, Any]) -> None:
        with self.cond:
            self.rv += 1
            pod["metadata"]["resourceVersion"] = str(self.rv)
            kind = "MODIFIED" if pod["metadata"]["name"] in self.pods else "ADDED"
            self.pods[pod["metadata"]["name"]] = pod
            self.history.append((self.rv, kind, json.loads(json.dumps(pod))))
            self.cond.notify_all()

    def delete_pod(self, name: str) -> None:
        with self.cond:
            pod = self.pods.pop(name)
            self.rv += 1
            self.history.append((self.rv, "DELETED", pod))
            self.cond.notify_all()

    def add_event(self, pod: str, reason: str, message: str, kind: str = "Normal", namespace: str = "default") -> None:
        self.rv += 1
        self.events.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{pod}.{self.rv}", "namespace": namespace, "resourceVersion": str(self.rv)},
                "involvedObject": {"kind": "Pod", "name": pod, "namespace": namespace},
                "reason": reason,
                "message": message,
                "type": kind,
                "count": 1,
                "firstTimestamp": iso(time.time()),
                "lastTimestamp": iso(time.time()),
                "source": {"component": "kubelet"},
            }
        )

    def custom(self, group: str, version: str, namespace: str, plural: str) -> dict[str, dict[str, Any]]:
        return self.objects.setdefault((group, version, namespace, plural), {})

    def all_custom(self) -> list[dict[str, Any]]:
        return [o for bucket in self.objects.values() for o in bucket.values()]

    # --- serving --------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kubeconfig(self, path: Any, namespace: str = "default") -> str:
        """Write a kubeconfig pointing at this fake; returns its path."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake", "namespace": namespace}}],
        }
        path.write_text(json.dumps(doc))
        return str(path)

    def start(self) -> FakeKubernetes:
        fake = self

        class Handler(_Handler):
            state = fake

        self.server = _QuietServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.generation += 1
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """The API server goes away: no new connections, open watches end."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.cond:
            self.generation += 1
            self.cond.notify_all()
            open_connections, self.connections = list(self.connections), set()
        for conn in open_connections:  # kept-alive client connections die with the server too
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the kill test does that) is not an error of the fake."""


class _Handler(BaseHTTPRequestHandler):
    state: FakeKubernetes
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.state.cond:
            self.state.connections.add(self.connection)

    def finish(self) -> None:
        with self.state.cond:
            self.state.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _send(self, code: int, body: Any, ctype: str = "application/json") -> None:
        if isinstance(body, bytes):
            data = body
        else:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _raw(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        s = self.state
        s.requests.append((method, self.path))
        raw = self._raw() if method in ("POST", "PATCH", "PUT") else b""
        if s.extra_route is not None and s.extra_route(self, method, self.path, raw):
            return None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._send(400, status(400, "BadRequest", "the request body is not JSON"))
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/services/([^/]+)/proxy(/.*)?", path):
            if s.proxy is None:
                return self._send(503, status(503, "ServiceUnavailable", "no endpoints available for service"))
            code, reply = s.proxy(method, (m.group(3) or "/") + (f"?{url.query}" if url.query else ""), body)
            return self._send(code, reply)
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods", path):
            if q.get("watch") in ("true", "1"):
                return self._watch(m.group(1), q)
            with s.cond:
                items = [
                    p
                    for p in s.pods.values()
                    if p["metadata"]["namespace"] == m.group(1)
                    and matches(p["metadata"].get("labels", {}), q.get("labelSelector", ""))
                ]
                return self._send(
                    200,
                    {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": str(s.rv)}, "items": items},
                )
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/log", path):
            if m.group(2) not in s.pods:
                return self._send(404, status(404, "NotFound", f'pods "{m.group(2)}" not found'))
            lines = s.logs.get(m.group(2), "").splitlines(keepends=True)
            tail = int(q.get("tailLines", len(lines)))
            return self._send(200, "".join(lines[-tail:] if tail else []), "text/plain")
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)", path):
            pod = s.pods.get(m.group(2))
            if pod is None:
                return self._send(404, status(404, "NotFound", f'pods "{m.group(2)}" not found'))
            return self._send(200, pod)
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/events", path):
            wanted = q.get("fieldSelector", "").removeprefix("involvedObject.name=")
            items = [e for e in s.events if not wanted or e["involvedObject"]["name"] == wanted]
            return self._send(
                200,
                {"apiVersion": "v1", "kind": "EventList", "metadata": {"resourceVersion": str(s.rv)}, "items": items},
            )
        if m := re.fullmatch(r"/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/scale", path):
            ns, name = m.groups()
            if name not in s.scales:
                return self._send(404, status(404, "NotFound", f'deployments.apps "{name}" not found'))
            if method == "PATCH":
                s.scales[name] = int(body["spec"]["replicas"])
                if s.on_scale is not None:
                    s.on_scale(name, s.scales[name])
            return self._send(
                200,
                {
                    "apiVersion": "autoscaling/v1",
                    "kind": "Scale",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"replicas": s.scales[name]},
                    "status": {"replicas": s.scales[name], "selector": "component=taskmanager"},
                },
            )
        if m := re.fullmatch(r"/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?", path):
            group, version, ns, plural, name = m.groups()
            bucket = s.custom(group, version, ns, plural)
            if name is None and method == "POST":
                name = body["metadata"]["name"]
                if name in bucket:
                    return self._send(409, status(409, "AlreadyExists", f'{plural}.{group} "{name}" already exists'))
                refusal = s.admit(body) if s.admit is not None else None
                if refusal is not None:
                    return self._send(*refusal)
                body["metadata"] |= {
                    "uid": f"uid-{name}",
                    "resourceVersion": str(s.rv),
                    "creationTimestamp": iso(time.time()),
                }
                bucket[name] = body
                self._send(201, body)
                if s.on_custom is not None:
                    s.on_custom("ADDED", body)
                return None
            if name is None:
                items = [
                    o for o in bucket.values() if matches(o["metadata"].get("labels", {}), q.get("labelSelector", ""))
                ]
                return self._send(
                    200,
                    {
                        "apiVersion": f"{group}/{version}",
                        "kind": "List",
                        "metadata": {"resourceVersion": str(s.rv)},
                        "items": items,
                    },
                )
            if name not in bucket:
                return self._send(404, status(404, "NotFound", f'{plural}.{group} "{name}" not found'))
            if method == "DELETE":
                gone = bucket.pop(name)
                if s.on_custom is not None:
                    s.on_custom("DELETED", gone)
                return self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200})
            return self._send(200, bucket[name])
        self._send(404, status(404, "NotFound", f"the server could not find the requested resource ({path})"))

    def _watch(self, namespace: str, q: dict[str, str]) -> None:
        s = self.state
        since = int(q.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(q.get("timeoutSeconds", 30))
        generation = s.generation
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while time.monotonic() < deadline and s.generation == generation:
                with s.cond:
                    fresh = [
                        (rv, t, o)
                        for rv, t, o in s.history
                        if rv > since
                        and o["metadata"]["namespace"] == namespace
                        and matches(o["metadata"].get("labels", {}), q.get("labelSelector", ""))
                    ]
                    if not fresh:
                        s.cond.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
                        continue
                for rv, kind, obj in fresh:
                    line = (json.dumps({"type": kind, "object": obj}) + "\n").encode()
                    self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                    since = rv
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True
