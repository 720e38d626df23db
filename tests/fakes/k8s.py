"""An HTTP-level fake of the Kubernetes API server on 127.0.0.1, serving real Kubernetes JSON to the official
`kubernetes` Python client (no mocks of the client: it speaks HTTP to this server). This module is the fake's state
and its serving; what it serves, route by route, is in tests/fakes/k8s_routes.py, the objects in
tests/fakes/k8s_objects.py.

Extension points for richer stand-ins (tests/testbed): `extra_route` sees every request first; `admit` may refuse a
custom object before it is stored (an admission webhook); `on_custom` hears each custom object created or deleted (a
controller). `stop()` drops the server and every open watch (the "API server went away" case); `start()` again
serves the same state on the same port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.k8s_objects import iso
from tests.fakes.k8s_routes import Proxy, Route, _Handler, _QuietServer


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
