"""Pods as the Pods pane shows them, and a watcher that keeps them current through API server outages.

The watcher lists, then watches from the list's resourceVersion; when the API server goes away it publishes one
ErrorEvent, keeps the last known pods, and reconnects with backoff (a Notice says when it is back).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from scaletui.cluster.base import Instance, InstanceState
from scaletui.events import ClusterChanged, ErrorEvent, EventBus, Notice

BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class PodView:
    """One pod: placement, readiness, restarts, and the container state that explains a failure."""

    name: str
    namespace: str
    phase: str
    ready: bool
    restarts: int
    node: str
    ip: str
    started_at: float | None
    labels: dict[str, str] = field(default_factory=dict)
    containers: tuple[str, ...] = ()
    reason: str = ""
    terminating: bool = False

    @property
    def role(self) -> Literal["jobmanager", "taskmanager", "other"]:
        component = self.labels.get("component", "") + self.labels.get("app.kubernetes.io/component", "")
        for role in ("jobmanager", "taskmanager"):
            if role in component or role in self.name:
                return role  # type: ignore[return-value]
        return "other"

    @property
    def state(self) -> InstanceState:
        if self.terminating or self.phase == "Succeeded":
            return "stopped"
        if self.phase == "Failed" or self.reason in ("CrashLoopBackOff", "Error", "ImagePullBackOff", "OOMKilled"):
            return "failed"
        if self.phase == "Running":
            return "running" if self.ready else "starting"
        return "starting" if self.phase == "Pending" else "unknown"

    def instance(self) -> Instance:
        return Instance(
            name=self.name,
            role=self.role,
            state=self.state,
            node=self.node,
            address=self.ip or "",
            started_at=self.started_at,
            restarts=self.restarts,
        )


@dataclass(frozen=True)
class PodEvent:
    """A recent Kubernetes event about a pod (Scheduled, Pulled, BackOff, Killing...)."""

    ts: float | None
    type: str
    reason: str
    message: str
    count: int = 1


def _ts(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def pod_view(pod: Any) -> PodView:
    """From a `V1Pod`."""
    statuses = pod.status.container_statuses or []
    reason = ""
    for cs in statuses:
        waiting = cs.state.waiting if cs.state else None
        terminated = cs.state.terminated if cs.state else None
        reason = reason or (waiting.reason if waiting else "") or (terminated.reason if terminated else "") or ""
    ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
    return PodView(
        name=pod.metadata.name,
        namespace=pod.metadata.namespace,
        phase=pod.status.phase or "Unknown",
        ready=ready,
        restarts=sum(cs.restart_count for cs in statuses),
        node=pod.spec.node_name or "",
        ip=pod.status.pod_ip or "",
        started_at=_ts(pod.status.start_time),
        labels=dict(pod.metadata.labels or {}),
        containers=tuple(c.name for c in pod.spec.containers),
        reason=reason,
        terminating=pod.metadata.deletion_timestamp is not None,
    )


class PodWatcher:
    """Keeps `pods` current for one namespace and label selector, in a daemon thread."""

    def __init__(
        self,
        core: Any,
        namespace: str,
        label_selector: str,
        bus: EventBus,
        server: str = "",
        watch_timeout_s: int = 30,
        backoff_s: tuple[float, ...] = BACKOFF_S,
    ) -> None:
        self.core = core
        self.namespace = namespace
        self.label_selector = label_selector
        self.bus = bus
        self.server = server
        self.watch_timeout_s = watch_timeout_s
        self.backoff_s = backoff_s
        self.connected = False
        self.failures = 0
        self._pods: dict[str, PodView] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: Any = None
        self.on_change: Callable[[list[PodView]], None] | None = None

    @property
    def pods(self) -> list[PodView]:
        with self._lock:
            return sorted(self._pods.values(), key=lambda p: p.name)

    def start(self) -> PodWatcher:
        self._thread = threading.Thread(target=self._run, name="k8s-pod-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        while not self._stop.is_set():
            try:
                rv = self._list()
                self._watch = watch.Watch()
                for event in self._watch.stream(
                    self.core.list_namespaced_pod,
                    self.namespace,
                    label_selector=self.label_selector,
                    resource_version=rv,
                    timeout_seconds=self.watch_timeout_s,
                    _request_timeout=self.watch_timeout_s + 5,
                ):
                    self._apply(event["type"], pod_view(event["object"]))
                    if self._stop.is_set():
                        break
            except ApiException as e:
                if e.status == 410:  # our resourceVersion is too old: list again
                    continue
                self._lost(f"{e.status} {e.reason}")
            except Exception as e:  # connection refused, reset, timeout: the server is away
                self._lost(type(e).__name__)

    def _list(self) -> str:
        reply = self.core.list_namespaced_pod(self.namespace, label_selector=self.label_selector, _request_timeout=10)
        with self._lock:
            self._pods = {p.name: p for p in map(pod_view, reply.items)}
        if not self.connected:
            if self.failures:
                self.bus.publish(
                    Notice(
                        source="kubernetes",
                        message=f"Reconnected to the Kubernetes API server "
                        f"{self.server} after {self.failures} failed attempt(s).",
                    )
                )
            self.connected, self.failures = True, 0
        self._changed()
        return str(reply.metadata.resource_version)

    def _apply(self, kind: str, pod: PodView) -> None:
        with self._lock:
            if kind == "DELETED":
                self._pods.pop(pod.name, None)
            else:
                self._pods[pod.name] = pod
        self._changed()

    def _changed(self) -> None:
        pods = self.pods
        self.bus.publish(ClusterChanged(source="kubernetes", instances=tuple(p.instance() for p in pods)))
        if self.on_change is not None:
            self.on_change(pods)

    def _lost(self, why: str) -> None:
        if self._stop.is_set():
            return  # the stream was closed by `stop()`, not lost
        if self.connected or self.failures == 0:
            self.bus.publish(
                ErrorEvent(
                    source="kubernetes",
                    message=f"The Kubernetes API server {self.server} does not answer ({why}).",
                    hint="The last known pods stay shown; scaletui reconnects by itself.",
                )
            )
        self.connected = False
        delay = self.backoff_s[min(self.failures, len(self.backoff_s) - 1)]
        self.failures += 1
        self._stop.wait(delay)
