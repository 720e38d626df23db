"""Flink's pods in the stand-in are real local processes: a LocalFlinkCluster's JobManager and TaskManagers (on
127.0.0.1, adaptive scheduler, Prometheus reporter on), each shown as a Pod of Deployment flink-jobmanager or
flink-taskmanager, with a status that follows the process: Pending while the JVM starts, Running and not Ready
until the TaskManager registers with the JobManager, Ready after; terminating while it stops; gone when it exits.

A reconciler thread plays the ReplicaSet controller and the kubelet: it starts or stops TaskManager processes until
their count is the Deployment's replicas (newest first out), and replaces a TaskManager whose process died (a
PodChaos pod-kill), as Kubernetes replaces a killed pod. Each TaskManager pod is placed on its own worker node and
has one task slot, so an operator scaled up needs another TaskManager pod, as on a testbed sized by its machines.
"""

from __future__ import annotations

import calendar
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from scaletui.cluster.base import Instance
from scaletui.flink import processes
from scaletui.flink.cluster_config import ClusterSettings
from scaletui.flink.install import FlinkHome
from scaletui.flink.standalone import LocalFlinkCluster
from tests.fakes.k8s_objects import iso, make_pod
from tests.testbed.apiserver import StandinApi

NAMESPACE = "scaletui"
PROMETHEUS = {
    "metrics.reporter.prom.factory.class": "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
    "metrics.reporter.prom.port": "19250-19350",
}
JM_LABELS = {"app": "flink", "component": "jobmanager"}
TM_LABELS = {"app": "flink", "component": "taskmanager"}


class FlinkPods:
    """The Flink Deployments of the stand-in, backed by real processes."""

    def __init__(self, api: StandinApi, home: FlinkHome, directory: Path, workers: int = 3) -> None:
        self.api = api
        self.cluster = LocalFlinkCluster(home, directory, ClusterSettings(slots_per_taskmanager=1, extra=PROMETHEUS))
        self.workers = workers
        self.pods: dict[str, str] = {}
        """Pod name -> process name."""
        self._wanted = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self.scale_log: list[tuple[float, int]] = []

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def start(self, taskmanagers: int = 1, timeout_s: float = 240.0) -> FlinkPods:
        self.cluster.start(taskmanagers, timeout_s=timeout_s)
        self._wanted = taskmanagers
        self._pod("flink-jobmanager-" + secrets.token_hex(3), "jobmanager", JM_LABELS, "control-1")
        for name in self.cluster.taskmanager_names():
            self._pod(self._tm_pod_name(), name, TM_LABELS, self._node_for(name))
        self.api.add_deployment("flink-jobmanager", NAMESPACE, JM_LABELS, 1)
        self.api.add_deployment("flink-taskmanager", NAMESPACE, TM_LABELS, taskmanagers)
        self.api.scale_hooks["flink-taskmanager"] = self.want
        self.api.add_service("flink-rest", NAMESPACE, 8081, JM_LABELS, self.cluster.rest_url)
        self.api.add_service("flink-jobmanager", NAMESPACE, 8081, JM_LABELS, self.cluster.rest_url)
        self._refresh()
        self._thread = threading.Thread(target=self._run, name="standin-replicaset", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.cluster.stop()
        for pod in list(self.pods):
            self._drop(pod)

    # --- what the rest of the stand-in asks -----------------------------------------------------------------------

    def want(self, replicas: int) -> None:
        """The TaskManager Deployment's scale changed."""
        self.scale_log.append((time.monotonic(), replicas))
        self._wanted = replicas
        self._wake.set()

    def instances(self) -> list[Instance]:
        """Every live Flink pod as an instance with its real process id (what faults act on)."""
        out = []
        with self._lock:
            for pod, proc_name in self.pods.items():
                try:
                    proc = self.cluster.process(proc_name)
                except Exception:
                    continue
                role = "jobmanager" if proc.role == "jobmanager" else "taskmanager"
                node = self.api.pods[pod]["spec"]["nodeName"] if pod in self.api.pods else ""
                out.append(Instance(name=pod, role=role, state="running", node=node, pid=proc.pid))  # type: ignore[arg-type]
        return out

    def pod_of(self, process_name: str) -> str | None:
        return next((pod for pod, proc in self.pods.items() if proc == process_name), None)

    def metrics_ports(self) -> dict[str, int]:
        """Pod name -> the port its Prometheus reporter listens on (found by asking each listening port)."""
        import httpx

        from scaletui.chaos import procs

        found = {}
        for inst in self.instances():
            for port in procs.tcp_ports(inst.pid or 0, listening_only=True):
                if not 19250 <= port <= 19350:
                    continue
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).status_code == 200:
                        found[inst.name] = port
                        break
                except httpx.HTTPError:
                    continue
        return found

    # --- the controller -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._reconcile()
                self._refresh()
            except Exception as e:  # a controller keeps going; the test sees the state it leaves
                self.api.add_event("flink-taskmanager", "ReconcileError", str(e), "Warning", NAMESPACE)
            self._wake.wait(0.3)
            self._wake.clear()

    def _reconcile(self) -> None:
        for name in self.cluster.exited():
            pod = self.pod_of(name)
            if pod is not None and name != "jobmanager":
                self.api.add_event(pod, "Killing", "Stopping container taskmanager (process exited)", "Normal",
                                   NAMESPACE)  # fmt: skip
                self._drop(pod)
                self.cluster.remove_taskmanager(name, grace_s=1)
        live = self.cluster.taskmanager_names()
        if len(live) < self._wanted:
            name = self.cluster.add_taskmanager(wait=False)
            pod = self._tm_pod_name()
            self._pod(pod, name, TM_LABELS, self._node_for(name), phase="Pending")
            self.api.add_event(pod, "Scheduled", f"Successfully assigned {NAMESPACE}/{pod}", "Normal", NAMESPACE)
        elif len(live) > self._wanted:
            victim = live[-1]
            pod = self.pod_of(victim)
            if pod is not None:
                doc = self.api.pods[pod]
                doc["metadata"]["deletionTimestamp"] = iso(time.time())
                self.api.put_pod(doc)
                self.api.add_event(pod, "Killing", "Stopping container taskmanager", "Normal", NAMESPACE)
            self.cluster.remove_taskmanager(victim, grace_s=10)
            if pod is not None:
                self._drop(pod)

    def _refresh(self) -> None:
        """Pod status from the processes: Running once the JVM is up, Ready once registered with the JobManager."""
        try:
            registered = set(self.cluster.registered())
        except Exception:
            registered = set()
        with self._lock:
            for pod, proc_name in list(self.pods.items()):
                doc = self.api.pods.get(pod)
                if doc is None or doc["metadata"].get("deletionTimestamp"):
                    continue
                ready = proc_name == "jobmanager" or proc_name in registered
                phase = "Running" if ready or time.time() - _started(doc) > 1.0 else "Pending"
                if (doc["status"]["phase"], _ready(doc)) != (phase, ready):
                    self.api.put_pod(_with_status(doc, phase, ready))

    def _pod(self, pod: str, proc_name: str, labels: dict[str, str], node: str, phase: str = "Running") -> None:
        proc = self.cluster.process(proc_name)
        container = "jobmanager" if proc.role == "jobmanager" else "taskmanager"
        doc = make_pod(pod, NAMESPACE, dict(labels), node=node, ip="127.0.0.1", phase=phase,
                       ready=phase == "Running" and proc.role == "jobmanager", container=container)  # fmt: skip
        doc["metadata"]["creationTimestamp"] = iso(time.time())
        doc["status"]["startTime"] = iso(time.time())
        doc["status"]["containerStatuses"][0]["containerID"] = f"standin://{proc.pid}"
        doc["status"]["containerStatuses"][0]["image"] = f"flink:{self.cluster.home.version}"
        with self._lock:
            self.pods[pod] = proc_name
        self.api.put_pod(doc)
        self.api.logs[pod] = processes.tail(proc.log_file, 200) if proc.log_file else ""

    def _drop(self, pod: str) -> None:
        with self._lock:
            self.pods.pop(pod, None)
        if pod in self.api.pods:
            self.api.delete_pod(pod)

    def _tm_pod_name(self) -> str:
        return f"flink-taskmanager-{secrets.token_hex(3)}"

    def _node_for(self, process_name: str) -> str:
        index = int(process_name.rsplit("-", 1)[-1])
        return f"worker-{(index - 1) % self.workers + 1}"


def _started(doc: dict[str, Any]) -> float:
    return calendar.timegm(time.strptime(doc["status"]["startTime"], "%Y-%m-%dT%H:%M:%SZ"))


def _ready(doc: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in doc["status"].get("conditions", []))


def _with_status(doc: dict[str, Any], phase: str, ready: bool) -> dict[str, Any]:
    doc = dict(doc)
    container = doc["status"]["containerStatuses"][0]
    state = {"running": {"startedAt": doc["status"]["startTime"]}} if phase == "Running" else {
        "waiting": {"reason": "ContainerCreating"}}  # fmt: skip
    doc["status"] = {**doc["status"], "phase": phase,
                     "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                     "containerStatuses": [{**container, "ready": ready, "state": state}]}  # fmt: skip
    return doc
