"""How the fake API server (tests/fakes/k8s.py) answers HTTP: the routes, in Kubernetes JSON (shapes from the
Kubernetes API reference, core/v1, apps/v1 and the custom-objects endpoints), and pod watches as chunked JSON lines.
Apart from the fake's state so that each can be read, and extended (tests/testbed/apiserver.py), on its own.

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

Errors are `Status` objects with `code` and `reason`, as the API server sends them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.k8s_objects import iso, matches, status

if TYPE_CHECKING:
    from tests.fakes.k8s import FakeKubernetes

Proxy = Callable[[str, str, Any], tuple[int, Any]]
Route = Callable[["_Handler", str, str, bytes], bool]
"""(handler, method, path with query, raw body) -> True when it answered the request."""


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
