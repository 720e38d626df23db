"""`KubernetesCluster`: the cluster protocol on Kubernetes.

Instances are the Flink pods, kept current by a PodWatcher. TaskManager count is the TaskManager Deployment's
replicas; operator parallelism goes through Flink's REST API (adaptive scheduler resource requirements), reached at
a given URL or, from outside the cluster, through the API server's service proxy with the kubeconfig's credentials
(actuation.py times both as local Flink does). Metrics are local Flink's own collector over that same REST API
(counter-based per-operator rates, busy and back-pressured time, latency), publishing each sample on the bus once
started, with the nodes' telemetry from VictoriaMetrics when attached (metrics.py). Any other in-cluster HTTP service
(Consul, VictoriaMetrics, the rate service) is reached with `service_http`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import httpx

from scaletui.cluster.base import Instance, JobInfo
from scaletui.cluster.kubernetes import describe as pod_text
from scaletui.cluster.kubernetes.client import api_client, http_client
from scaletui.cluster.kubernetes.metrics import KubernetesCollector, NodeTelemetry
from scaletui.cluster.kubernetes.pods import PodEvent, PodView, PodWatcher, pod_view
from scaletui.errors import JobError, PlatformError
from scaletui.events import ActuationEvent, EventBus
from scaletui.flink.rest import FlinkRestClient
from scaletui.metrics.model import JobSample


@dataclass(frozen=True)
class KubernetesSettings:
    kubeconfig: str
    namespace: str = "default"
    context: str | None = None
    label_selector: str = "app=flink"
    """Which pods are Flink's (the Pods pane's scope)."""
    taskmanager_deployment: str = "flink-taskmanager"
    rest_service: str = "flink-rest"
    """The flink role's REST Service (playbooks/application/roles/flink)."""
    rest_port: int = 8081
    rest_url: str = ""
    """Flink's REST URL when reachable directly (in-cluster, an ingress); else the service proxy is used."""
    rescale_timeout_s: float = 120.0


class _ProxiedFlinkRest(FlinkRestClient):
    """Flink's REST client whose HTTP goes through the API server's service proxy, authenticated."""

    def __init__(self, base_url: str, http: httpx.Client) -> None:
        super().__init__(base_url)
        self._http.close()
        self._http = http


class KubernetesCluster:
    """Flink on Kubernetes; `connect()` starts watching, `close()` stops."""

    name = "kubernetes"
    taskmanager_limit: int | None = None
    """No bound known: pods the nodes cannot hold stay pending, and the change then times out."""

    def __init__(self, settings: KubernetesSettings, bus: EventBus) -> None:
        self.settings = settings
        self.bus = bus
        self.api: Any = None
        self.core: Any = None
        self.apps: Any = None
        self.watcher: PodWatcher | None = None
        self._rest: FlinkRestClient | None = None
        self._collector: KubernetesCollector | None = None
        self._keyed: dict[str, set[str]] = {}
        self.target_rate: float | None = None
        """The load the engine set (the load control keeps it); what downtime is measured against."""

    def connect(self) -> KubernetesCluster:
        from kubernetes import client

        self.api = api_client(self.settings.kubeconfig, self.settings.context)
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.watcher = PodWatcher(
            self.core,
            self.settings.namespace,
            self.settings.label_selector,
            self.bus,
            server=self.api.configuration.host,
        ).start()
        return self

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self._collector is not None:
            self._collector.stop()
        if self._rest is not None:
            self._rest.close()

    @property
    def connected(self) -> bool:
        """False while the API server is away (the watcher is reconnecting)."""
        return self.watcher is not None and self.watcher.connected

    # --- pods --------------------------------------------------------------------------------------------------

    def pods(self) -> list[PodView]:
        """The watched pods; while the API server is away, the last known ones (see `connected`)."""
        if self.watcher is not None and (self.watcher.connected or self.watcher.failures):
            return self.watcher.pods
        reply = self._api(
            "list pods",
            lambda: self.core.list_namespaced_pod(
                self.settings.namespace, label_selector=self.settings.label_selector, _request_timeout=10
            ),
        )
        return sorted(map(pod_view, reply.items), key=lambda p: p.name)

    def instances(self) -> list[Instance]:
        """Pods as instances; their state is "unknown" while the API server cannot confirm it."""
        known = [p.instance() for p in self.pods()]
        return known if self.connected else [replace(i, state="unknown") for i in known]

    def logs(self, pod: str, tail: int = 200, container: str | None = None) -> str:
        return str(
            self._api("read logs", lambda: pod_text.logs(self.core, self.settings.namespace, pod, tail, container))
        )

    def describe(self, pod: str) -> str:
        return str(self._api("describe", lambda: pod_text.describe(self.core, self.settings.namespace, pod)))

    def events(self, pod: str, limit: int = 10) -> list[PodEvent]:
        return list(
            self._api("list events", lambda: pod_text.recent_events(self.core, self.settings.namespace, pod, limit))
        )

    def api_call(self, what: str, call: Any) -> Any:
        """Run one Kubernetes client call; its failure becomes one PlatformError sentence."""
        return self._api(what, call)

    def _api(self, what: str, call: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        if self.core is None:
            raise PlatformError("Not connected to Kubernetes.", "Connect first (a kubeconfig is needed).")
        try:
            return call()
        except ApiException as e:
            raise PlatformError(
                f"The Kubernetes API server refused to {what}: {e.status} {e.reason}.",
                f"Check namespace {self.settings.namespace} and your rights in it.",
            ) from None
        except (HTTPError, OSError) as e:
            raise PlatformError(
                f"The Kubernetes API server did not answer ({type(e).__name__}).",
                "Check that the cluster is up; the Pods pane reconnects by itself.",
            ) from None

    # --- Flink -------------------------------------------------------------------------------------------------

    @property
    def rest(self) -> FlinkRestClient:
        if self._rest is None:
            s = self.settings
            if s.rest_url:
                self._rest = FlinkRestClient(s.rest_url)
            else:
                if self.api is None:
                    raise PlatformError("Not connected to Kubernetes.", "Connect first (a kubeconfig is needed).")
                path = f"/api/v1/namespaces/{s.namespace}/services/{s.rest_service}:{s.rest_port}/proxy"
                self._rest = _ProxiedFlinkRest(self.api.configuration.host + path, http_client(self.api, path))
        return self._rest

    def service_http(self, namespace: str, service: str, port: int | None = None) -> httpx.Client:
        """An HTTP client for an in-cluster service through the API server's service proxy, authenticated."""
        if self.api is None:
            raise PlatformError("Not connected to Kubernetes.", "Connect first (a kubeconfig is needed).")
        where = f"{service}:{port}" if port else service
        return http_client(self.api, f"/api/v1/namespaces/{namespace}/services/{where}/proxy/")

    @property
    def collector(self) -> KubernetesCollector:
        """Local Flink's metrics collector over this cluster's REST API (one per cluster); once started, it
        publishes every sample on the bus."""
        if self._collector is None:
            self._collector = KubernetesCollector(self.rest, self.job_id, lambda: self.target_rate, bus=self.bus)
        return self._collector

    def attach_telemetry(self, telemetry: NodeTelemetry) -> None:
        """Per-node telemetry (VictoriaMetrics) for the samples' `nodes` from now on."""
        self.collector.telemetry = telemetry

    def service(self, namespace: str, name: str) -> Any:
        """The Service object (a `V1Service`), to find its cluster IP and ports."""
        return self._api(
            f"read service {namespace}/{name}",
            lambda: self.core.read_namespaced_service(name, namespace, _request_timeout=10),
        )

    def pod_names(self, namespace: str, label_selector: str) -> list[tuple[str, str]]:
        """(pod name, node name) of the running pods a selector picks in another namespace (Consul's agents)."""
        reply = self._api(
            f"list pods in {namespace}",
            lambda: self.core.list_namespaced_pod(namespace, label_selector=label_selector, _request_timeout=10),
        )
        return [(p.metadata.name, p.spec.node_name or "") for p in reply.items if p.metadata.deletion_timestamp is None]

    def job_id(self) -> str | None:
        try:
            overview = self._running_job()
        except PlatformError:
            return None
        return str(overview["jid"]) if overview else None

    def _running_job(self) -> dict[str, Any] | None:
        jobs = [j for j in self.rest.jobs() if j.get("state") in ("RUNNING", "RESTARTING", "CREATED", "INITIALIZING")]
        return jobs[0] if jobs else None

    def job(self) -> JobInfo | None:
        """The running job, its operators named as on local Flink ("Source: source" -> "source")."""
        from scaletui.flink.job_graph import job_info

        overview = self._running_job()
        if overview is None:
            return None
        job_id = str(overview["jid"])
        return job_info(self.rest.job(job_id), self.keyed(job_id))

    def keyed(self, job_id: str) -> set[str]:
        """The job's vertices fed by a keyBy (read once per job from its plan)."""
        from scaletui.flink.job_graph import keyed_vertices

        if job_id not in self._keyed:
            self._keyed = {job_id: keyed_vertices(self.rest.job_plan(job_id))}
        return self._keyed[job_id]

    def taskmanager_replicas(self) -> int:
        """The TaskManager Deployment's wanted replicas (its scale)."""
        s = self.settings
        scale = self._api(
            "read the TaskManagers' scale",
            lambda: self.apps.read_namespaced_deployment_scale(s.taskmanager_deployment, s.namespace,
                                                               _request_timeout=10),
        )  # fmt: skip
        return int(scale.spec.replicas or 0)

    def latest(self) -> JobSample:
        """The MetricsSource view: the collector's last sample while it is fresh (it publishes each), else one now."""
        latest = self._collector.latest() if self._collector is not None else None
        if latest is None or time.time() - latest.ts > 2 * self.collector.interval_s + 1:
            return self.sample()
        return latest

    def sample(self) -> JobSample:
        """One measurement now: per-operator rates, busy/back-pressured time, latency and lag (stale if Flink's
        REST API is unreachable)."""
        return self.collector.poll()

    def start_metrics(self) -> KubernetesCollector:
        """Measure every second in a thread (what actuation timing and a live view read); returns the collector."""
        self.collector.start()
        return self.collector

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        from scaletui.cluster.kubernetes import actuation

        return actuation.set_parallelism(self, parallelism)

    def set_taskmanagers(self, count: int) -> ActuationEvent:
        """Scale the TaskManager Deployment and wait (bounded) until that many TaskManagers are ready."""
        from scaletui.cluster.kubernetes import actuation

        return actuation.set_taskmanagers(self, count)

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent:
        """Stop with a savepoint, run the job's jar again from it, then apply per-operator parallelism."""
        info = self.job()
        if info is None:
            raise JobError("No Flink job runs, so there is nothing to restart.", "Start the job first.")
        jars = sorted(self.rest.jars(), key=lambda j: j.get("uploaded", 0))
        if not jars:
            raise JobError("Flink has no uploaded jar to restart the job from.", "Upload the job's jar first.")
        started = time.time()
        request = self.rest.stop_with_savepoint(info.job_id)
        deadline = time.monotonic() + self.settings.rescale_timeout_s
        location = ""
        while time.monotonic() < deadline and not location:
            reply = self.rest.savepoint_status(info.job_id, request)
            if reply["status"]["id"] == "COMPLETED":
                op = reply.get("operation", {})
                if "failure-cause" in op:
                    raise JobError(
                        f"The savepoint failed: {op['failure-cause'].get('class', 'unknown')}.",
                        "See the JobManager log.",
                    )
                location = op["location"]
            else:
                time.sleep(0.5)
        if not location:
            raise JobError("The savepoint did not complete in time.", "See the JobManager log.")
        self.rest.run_jar(jars[-1]["id"], [], parallelism=max(parallelism.values(), default=1), savepoint_path=location)
        event = self.set_parallelism(parallelism)
        return ActuationEvent(
            source="kubernetes",
            kind="savepoint-restart",
            target=info.name,
            before=info.parallelism,
            after=event.after,
            started=started,
            ended=time.time(),
        )
