"""The Kubernetes JSON the fake API server (tests/fakes/k8s.py) serves and its stand-ins build on: a Pod as the
official client reads it, a failure `Status`, timestamps and label selectors. Apart from the server so that whoever
only builds objects (the testbed's pods, a chaos webhook's refusals) needs no HTTP machinery."""

from __future__ import annotations

import time
from typing import Any


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
