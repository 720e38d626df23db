"""The stand-in's API server: tests/fakes/k8s.py plus what a K3S testbed adds for scaletui, in the Kubernetes API's
wire format (apps/v1 Deployment, autoscaling/v1 Scale, core/v1 Service, the service proxy):

| method | path | |
|---|---|---|
| GET | /apis/apps/v1/namespaces/{ns}/deployments[/{name}] | DeploymentList / Deployment, status from the pods |
| GET, PATCH, PUT | /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale | Scale; a change is handed to `on_scale` |
| GET | /api/v1/namespaces/{ns}/services[/{name}] | ServiceList / Service |
| any | /api/v1/namespaces/{ns}/services/{svc}[:{port}]/proxy/{path} | forwarded as is to the service's real backend |

The proxy forwards method, query, body and content type to a real local HTTP server (Flink's REST API, the Consul
stand-in, VictoriaMetrics, the rate service), and its reply back unchanged, as the API server's proxy does.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

from tests.fakes.k8s import FakeKubernetes
from tests.fakes.k8s_objects import iso, status
from tests.fakes.k8s_routes import _Handler


def service(
    name: str, namespace: str, port: int, labels: dict[str, str], cluster_ip: str = "10.43.0.10"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "uid": f"uid-svc-{name}"},
        "spec": {"type": "ClusterIP", "clusterIP": cluster_ip, "selector": labels,
                 "ports": [{"name": "http", "port": port, "targetPort": port, "protocol": "TCP"}]},
    }  # fmt: skip


@dataclass
class StandinApi(FakeKubernetes):
    """FakeKubernetes with deployments, services and a forwarding service proxy."""

    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)
    """"svc" or "svc:port" -> the real base URL the proxy forwards to."""
    scale_hooks: dict[str, Callable[[int], None]] = field(default_factory=dict)
    """Deployment name -> what acts on a new replica count (the stand-in's ReplicaSet controller)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.extra_route = self._route
        self._forward = httpx.Client(timeout=60.0)
        self._lock = threading.Lock()

    def add_deployment(self, name: str, namespace: str, labels: dict[str, str], replicas: int) -> None:
        self.deployments[name] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "labels": labels, "uid": f"uid-deploy-{name}",
                         "generation": 1, "creationTimestamp": iso(0)},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name}]}}},
        }  # fmt: skip

    def add_service(
        self, name: str, namespace: str, port: int, labels: dict[str, str], backend: str, cluster_ip: str = "10.43.0.10"
    ) -> None:
        """`cluster_ip` is where pods reach it; 127.0.0.1 (with the backend's real port) when the stand-in's real
        processes must reach it themselves, as pods reach a ClusterIP."""
        self.services[name] = service(name, namespace, port, labels, cluster_ip)
        self.backends[name] = backend.rstrip("/")

    def replicas(self, name: str) -> int:
        return int(self.deployments[name]["spec"]["replicas"])

    def _deployment(self, name: str) -> dict[str, Any]:
        doc = json.loads(json.dumps(self.deployments[name]))
        wanted = doc["metadata"]["labels"]
        pods = [p for p in self.pods.values() if all(p["metadata"]["labels"].get(k) == v for k, v in wanted.items())]
        ready = sum(1 for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                           for c in p["status"].get("conditions", [])))  # fmt: skip
        doc["status"] = {"replicas": len(pods), "readyReplicas": ready, "availableReplicas": ready,
                         "updatedReplicas": len(pods), "observedGeneration": doc["metadata"]["generation"]}  # fmt: skip
        return doc

    def _route(self, handler: _Handler, method: str, raw_path: str, body: bytes) -> bool:
        url = urlparse(raw_path)
        path = url.path
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/services/([^/:]+)(?::([^/]+))?/proxy(/.*)?", path):
            name, port = m.group(2), m.group(3)
            base = self.backends.get(f"{name}:{port}") or self.backends.get(name)
            if base is None:
                return False  # the base fake answers (its `proxy` callable, or 503)
            self._proxy(handler, method, base + (m.group(4) or "/") + (f"?{url.query}" if url.query else ""), body)
            return True
        if m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/services(?:/([^/]+))?", path):
            if m.group(2) is None:
                items = [s for s in self.services.values() if s["metadata"]["namespace"] == m.group(1)]
                handler._send(200, {"apiVersion": "v1", "kind": "ServiceList", "metadata": {}, "items": items})
            elif m.group(2) in self.services:
                handler._send(200, self.services[m.group(2)])
            else:
                handler._send(404, status(404, "NotFound", f'services "{m.group(2)}" not found'))
            return True
        if m := re.fullmatch(r"/apis/apps/v1/namespaces/([^/]+)/deployments(?:/([^/]+))?(/scale)?", path):
            return self._deployments(handler, method, m.group(1), m.group(2), bool(m.group(3)), body)
        return False

    def _deployments(self, handler: _Handler, method: str, ns: str, name: str | None, scale: bool, body: bytes) -> bool:
        if name is None:
            items = [self._deployment(n) for n, d in self.deployments.items() if d["metadata"]["namespace"] == ns]
            handler._send(200, {"apiVersion": "apps/v1", "kind": "DeploymentList", "metadata": {}, "items": items})
            return True
        if name not in self.deployments:
            if scale and name in self.scales:
                return False  # a plain FakeKubernetes scale entry
            handler._send(404, status(404, "NotFound", f'deployments.apps "{name}" not found'))
            return True
        if not scale:
            handler._send(200, self._deployment(name))
            return True
        if method in ("PATCH", "PUT"):
            wanted = int(json.loads(body)["spec"]["replicas"])
            if wanted < 0:
                handler._send(422, status(422, "Invalid", "spec.replicas: must be greater than or equal to 0"))
                return True
            with self._lock:
                self.deployments[name]["spec"]["replicas"] = wanted
                self.deployments[name]["metadata"]["generation"] += 1
            hook = self.scale_hooks.get(name)
            if hook is not None:
                hook(wanted)
        doc = self._deployment(name)
        handler._send(200, {
            "apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": name, "namespace": ns, "uid": doc["metadata"]["uid"]},
            "spec": {"replicas": doc["spec"]["replicas"]},
            "status": {"replicas": doc["status"]["replicas"],
                       "selector": ",".join(f"{k}={v}" for k, v in doc["metadata"]["labels"].items())},
        })  # fmt: skip
        return True

    def _proxy(self, handler: _Handler, method: str, target: str, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("content-type", "accept")}
        try:
            reply = self._forward.request(method, target, content=body or None, headers=headers)
        except httpx.HTTPError as e:
            handler._send(503, status(503, "ServiceUnavailable", f"error trying to reach service: {e}"))
            return
        handler._send(reply.status_code, reply.content, reply.headers.get("content-type", "application/json"))

    def close(self) -> None:
        self.stop()
        self._forward.close()
