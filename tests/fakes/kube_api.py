"""An HTTP-level fake of the Kubernetes API server (core/v1 services and secrets), on 127.0.0.1.

Serves what `scaletui.stages.services` reads, in the API server's wire format (the official Kubernetes API
reference: `ServiceList`/`Secret` objects, `Status` on errors, base64 `data` in secrets):

| method | path | query |
|---|---|---|
| GET | /api/v1/services | labelSelector=<key> (existence), fieldSelector=metadata.name=<name> |
| GET | /api/v1/namespaces/{ns}/secrets/{name} | |

Requests must carry `Authorization: Bearer <token>` (the kubeconfig's user token), else 401 like the API server.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.k8s_objects import status


def node_port_service(namespace: str, name: str, ports: dict[str, tuple[int, int]], labels: dict[str, str]) -> dict:
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "uid": f"uid-{name}",
            "resourceVersion": "100",
            "creationTimestamp": "2026-11-23T00:00:00Z",
        },
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.43.0.10",
            "selector": {"app": name},
            "ports": [
                {"name": n, "protocol": "TCP", "port": p, "targetPort": p, "nodePort": np}
                for n, (p, np) in ports.items()
            ],
        },
        "status": {"loadBalancer": {}},
    }


def secret(namespace: str, name: str, values: dict[str, str], type_: str = "Opaque") -> dict:
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "type": type_,
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "resourceVersion": "101"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


@dataclass
class FakeKubeApi:
    token: str = "admin-token-for-tests"
    services: list[dict] = field(default_factory=list)
    secrets: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "fake",
                    "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
                    "users": [{"name": "admin", "user": {"token": self.token}}],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "admin"}}],
                }
            )
        )
        return path

    def start(self) -> FakeKubeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                fake.requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self._reply(401, status(401, "Unauthorized", "Unauthorized"))
                code, body = fake.route(url.path, parse_qs(url.query))
                self._reply(code, body)

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts == ["api", "v1", "services"]:
            items = self.services
            if "labelSelector" in query:
                key = query["labelSelector"][0]
                items = [s for s in items if key in s["metadata"].get("labels", {})]
            if "fieldSelector" in query:
                wanted = query["fieldSelector"][0].removeprefix("metadata.name=")
                items = [s for s in items if s["metadata"]["name"] == wanted]
            return 200, {
                "kind": "ServiceList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": "200"},
                "items": items,
            }
        if len(parts) == 6 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "secrets":
            for s in self.secrets:
                if s["metadata"]["namespace"] == parts[3] and s["metadata"]["name"] == parts[5]:
                    return 200, s
            return 404, status(404, "NotFound", f'secrets "{parts[5]}" not found')
        return 404, status(404, "NotFound", "the server could not find the requested resource")
