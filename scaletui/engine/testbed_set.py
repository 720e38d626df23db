"""A testbed's capability set: Flink on the Kubernetes cluster the orchestration stage set up on reserved machines.

Everything goes through the Kubernetes API server with the kubeconfig the orchestration stage fetched, the
in-cluster services through its service proxy (nothing else needs to be reachable from where scaletui runs):

- cluster: the Flink pods (JobManager, TaskManagers), watched; Flink's REST API through the proxy;
- metrics: local Flink's collector over that REST API, publishing every sample, with each node's CPU, memory and
  network from the VictoriaMetrics the metrics app deploys (PromQL);
- actuation: TaskManager count (the TaskManager Deployment's scale) and per-operator parallelism (adaptive
  scheduler), each with its downtime measured;
- job and load, as `[job] source` says: "workload" submits scaletui's workload job and sets its rate through the
  loadgen app's rate service (any profile); "application" attaches to the application stage's job and scales its
  Theodolite generator (whole replicas);
- latency: Consul's network coordinates; faults: Chaos Mesh resources, which also take in the Consul agents of the
  faulted pods' nodes (network faults), so the latency matrix sees what the job sees.

A part the cluster lacks (no Consul, no VictoriaMetrics yet) is said once when the set opens, not hidden.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.cluster.base import Instance
from scaletui.config.models import JobSpec, PlatformFile
from scaletui.engine.capabilities import Capabilities, LatencySource, LoadControl
from scaletui.engine.testbed_job import AttachedJob, WorkloadOnKubernetes
from scaletui.engine.testbed_load import ProfileLoad
from scaletui.errors import PlatformError, UserError
from scaletui.events import EventBus
from scaletui.scaling.clock import WallClock
from scaletui.wording import counted

if TYPE_CHECKING:
    from scaletui.chaos.chaosmesh import Companions
    from scaletui.cluster.kubernetes.backend import KubernetesCluster

NAMESPACE = "scaletui"
"""The data plane's namespace (playbooks/application/group_vars: scaletui_namespace)."""
CONSUL = ("consul", "consul-server", 8500)
CONSUL_AGENTS = "app=consul,component=client"
VICTORIA = ("metrics", "victoria-metrics", 8428)


def open_testbed(
    platform: PlatformFile,
    job: JobSpec,
    kubeconfig: Path,
    bus: EventBus,
    cache_dir: Path,
    cancel: threading.Event,
    notice: Callable[[str], None] = lambda message: None,
) -> Capabilities:
    from scaletui.chaos.chaosmesh import ChaosMeshFaults
    from scaletui.cluster.kubernetes.backend import KubernetesCluster, KubernetesSettings

    if not kubeconfig.is_file():
        raise PlatformError(
            f"No kubeconfig at {kubeconfig}.", "Run the orchestration stage first (it fetches the kubeconfig)."
        )
    kube = KubernetesCluster(KubernetesSettings(str(kubeconfig), NAMESPACE, rescale_timeout_s=180), bus).connect()
    closers: list[Callable[[], None]] = [kube.close]
    try:
        found_taskmanagers = kube.taskmanager_replicas()
        latency = _consul(kube, notice, closers)
        _telemetry(kube, notice, closers)
        job_control, load = _job_and_load(kube, job, bus, cache_dir, cancel, notice, closers)
        kube.start_metrics()
    except BaseException:
        _close_all(closers)
        raise
    faults = ChaosMeshFaults.from_kubeconfig(
        str(kubeconfig), NAMESPACE, instances=kube.instances, companions=consul_agents_of(kube)
    )
    running = kube.job()
    found = counted(found_taskmanagers, "TaskManager")
    notice(
        f"Attached to Flink on Kubernetes at {kube.api.configuration.host}: {found}, "
        + (f"job {running.name} ({running.job_id[:8]}) running." if running else "no job running.")
    )

    def close(stop: bool) -> None:
        try:
            if stop and isinstance(job_control, WorkloadOnKubernetes) and job_control.job_id is not None:
                job_control.cancel()
            if stop and kube.taskmanager_replicas() != found_taskmanagers:
                _scale(kube, found_taskmanagers)
        finally:
            _close_all(closers)

    return Capabilities(
        kind="testbed",
        platform=platform.platform.name,
        backend="kubernetes",
        clock=WallClock(),
        cluster=kube,
        metrics=kube,
        actuation=kube,
        job=job_control,
        load=load,
        latency=latency,
        faults=(faults,),
        closer=close,
    )


def _job_and_load(
    kube: KubernetesCluster,
    job: JobSpec,
    bus: EventBus,
    cache_dir: Path,
    cancel: threading.Event,
    notice: Callable[[str], None],
    closers: list[Callable[[], None]],
) -> tuple[WorkloadOnKubernetes | AttachedJob, LoadControl | None]:
    from scaletui.cluster.kubernetes.load import RateServiceLoad, ReplicaLoad

    if job.source == "workload":
        rate = RateServiceLoad(kube)
        closers.insert(0, rate.close)

        def jar() -> Path:
            from scaletui.flink.install import FlinkInstall
            from scaletui.workload.jobjar import workload_jar

            return workload_jar(FlinkInstall(cache_dir, bus=bus).ensure(cancel), cache_dir)

        workload = WorkloadOnKubernetes(kube, rate, jar, bus, notice)
        closers.insert(0, workload.close)
        return workload, ProfileLoad(rate, bus)
    attached = AttachedJob(kube, bus)
    closers.insert(0, attached.close)
    try:
        return attached, ProfileLoad(ReplicaLoad.from_deployment(kube), bus)
    except UserError as e:
        notice(f"No load control: {e.message} Only a constant load can run (the generator's own rate).")
        return attached, None


def _consul(kube: KubernetesCluster, notice: Callable[[str], None], closers: list[Callable[[], None]]) -> LatencySource:
    from scaletui.latency.coordinates import ConsulLatency

    namespace, service, port = CONSUL
    http = kube.service_http(namespace, service, port)
    closers.insert(0, http.close)
    consul = ConsulLatency.over(http)
    try:
        consul.matrix()
    except UserError as e:
        notice(f"The latency matrix stays empty until Consul answers: {e.message}")
    return consul


def _telemetry(kube: KubernetesCluster, notice: Callable[[str], None], closers: list[Callable[[], None]]) -> None:
    from scaletui.metrics.victoria import VictoriaTelemetry

    namespace, service, port = VICTORIA
    telemetry = VictoriaTelemetry(kube.service_http(namespace, service, port))
    closers.insert(0, telemetry.close)
    try:
        telemetry.nodes()
    except UserError as e:
        notice(f"No node telemetry until VictoriaMetrics answers: {e.message}")
    kube.attach_telemetry(telemetry)


def consul_agents_of(kube: KubernetesCluster) -> Companions:
    """The Consul client pods on the nodes of a fault's target pods (none when they cannot be listed)."""
    namespace = CONSUL[0]

    def agents(targets: tuple[Instance, ...]) -> dict[str, list[str]]:
        nodes = {t.node for t in targets}
        try:
            names = [name for name, node in kube.pod_names(namespace, CONSUL_AGENTS) if node in nodes]
        except UserError:
            return {}
        return {namespace: names} if names else {}

    return agents


def _scale(kube: KubernetesCluster, replicas: int) -> None:
    """Give the TaskManager Deployment back the replicas it had when the set opened (no wait: nothing runs)."""
    s = kube.settings
    kube.api_call(
        "scale the TaskManagers back",
        lambda: kube.apps.patch_namespaced_deployment_scale(
            s.taskmanager_deployment, s.namespace, {"spec": {"replicas": replicas}}, _request_timeout=10
        ),
    )


def _close_all(closers: list[Callable[[], None]]) -> None:
    for close in closers:
        try:
            close()
        except Exception:  # closing the rest matters more than one failure here
            continue
