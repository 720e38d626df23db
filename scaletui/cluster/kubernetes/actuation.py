"""Actuation on Kubernetes, timed as on local Flink: TaskManager count through the TaskManager Deployment's scale,
operator parallelism through Flink's adaptive scheduler (resource requirements, over the service proxy), each with
its downtime measured from the source's throughput by the same DowntimeProbe as local Flink (None when no rate is
measured back at the target before the deadline, never assumed)."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Protocol

from scaletui.cluster.base import check_parallelism
from scaletui.cluster.standalone.downtime import KEPT_RUNNING, NO_JOB, DowntimeProbe
from scaletui.errors import JobError
from scaletui.events import ActuationEvent
from scaletui.flink import job_submit

if TYPE_CHECKING:
    from scaletui.cluster.base import JobInfo
    from scaletui.cluster.kubernetes.metrics import KubernetesCollector
    from scaletui.cluster.kubernetes.pods import PodView
    from scaletui.events import EventBus
    from scaletui.flink.rest import FlinkRestClient


class DeploymentSettings(Protocol):
    @property
    def namespace(self) -> str: ...
    @property
    def taskmanager_deployment(self) -> str: ...
    @property
    def rescale_timeout_s(self) -> float: ...


class KubernetesCluster(Protocol):
    """What actuation uses of the Kubernetes backend (a Protocol: the backend imports this module, not the reverse)."""

    bus: EventBus
    target_rate: float | None
    apps: Any

    @property
    def settings(self) -> DeploymentSettings: ...
    @property
    def rest(self) -> FlinkRestClient: ...
    @property
    def collector(self) -> KubernetesCollector: ...
    def job(self) -> JobInfo | None: ...
    def pods(self) -> list[PodView]: ...
    def api_call(self, what: str, call: Any) -> Any: ...


class KubernetesDowntime(DowntimeProbe):
    """DowntimeProbe whose events say they come from Kubernetes."""

    def _event(self, **changes: Any) -> ActuationEvent:
        return dataclasses.replace(super()._event(**changes), source="kubernetes")


def probe(cluster: KubernetesCluster, kind: str, target: str, before: object, after: object) -> DowntimeProbe:
    cluster.collector.start()  # downtime is read from fresh measurements, taken every second from now on
    return KubernetesDowntime(cluster.bus, cluster.collector, lambda: cluster.target_rate, kind, target, before, after,
                              cluster.settings.rescale_timeout_s)  # fmt: skip


def set_parallelism(cluster: KubernetesCluster, parallelism: dict[str, int]) -> ActuationEvent:
    """Rescale the named operators in place; returns once every vertex runs at its new parallelism (or fewer when
    the cluster has fewer slots) and the throughput is back, or the deadline passed."""
    info = cluster.job()
    if info is None:
        raise JobError("No Flink job runs, so there is nothing to rescale.", "Start the job first.")
    by_name = {op.name: op for op in info.operators}
    check_parallelism(info.max_parallelism, parallelism)
    before = {n: by_name[n].parallelism for n in parallelism}
    timing = probe(cluster, "parallelism", ",".join(sorted(parallelism)), before, dict(parallelism))
    rest = cluster.rest

    def apply() -> float:
        requirements = rest.resource_requirements(info.job_id)
        for name, value in parallelism.items():
            bounds = requirements[by_name[name].vertex_id]["parallelism"]
            bounds["upperBound"] = value
            bounds["lowerBound"] = min(int(bounds.get("lowerBound", 1)), value)
        rest.set_resource_requirements(info.job_id, requirements)
        slots = int(rest.overview()["slots-total"])
        wanted = {by_name[n].vertex_id: min(v, slots) for n, v in parallelism.items()}
        return job_submit.wait_running(rest, info.job_id, cluster.settings.rescale_timeout_s, parallelism=wanted)

    return timing.finish(apply)


def set_taskmanagers(cluster: KubernetesCluster, count: int) -> ActuationEvent:
    """Scale the TaskManager Deployment; in effect once that many TaskManager pods are ready and registered."""
    s = cluster.settings
    before = cluster.api_call(
        "read the scale",
        lambda: cluster.apps.read_namespaced_deployment_scale(s.taskmanager_deployment, s.namespace,
                                                              _request_timeout=10),
    ).spec.replicas  # fmt: skip
    job = cluster.job()
    attempts_before = _attempts(cluster, job.job_id) if job is not None else None
    timing = probe(cluster, "taskmanagers", s.taskmanager_deployment, before, count)

    def unaffected() -> str:
        """Why no throughput need come back: no job runs, or its tasks did not restart (its throughput never
        dropped; an operator that is saturated, the reason for adding a TaskManager ahead of a rescale, never
        reaches 90 % of its target and the wait would run to `rescale_timeout_s`)."""
        if job is None:
            return NO_JOB
        kept = attempts_before is not None and _attempts(cluster, job.job_id) == attempts_before
        return KEPT_RUNNING if kept else ""

    def apply() -> float:
        cluster.api_call(
            "scale",
            lambda: cluster.apps.patch_namespaced_deployment_scale(
                s.taskmanager_deployment, s.namespace, {"spec": {"replicas": count}}, _request_timeout=10
            ),
        )
        deadline = time.monotonic() + s.rescale_timeout_s
        while time.monotonic() < deadline:
            ready = sum(1 for p in cluster.pods() if p.role == "taskmanager" and p.state == "running")
            registered = int(cluster.rest.overview().get("taskmanagers", -1))
            if ready == count and registered == count:
                if job is not None:
                    return job_submit.wait_running(cluster.rest, job.job_id, max(1.0, deadline - time.monotonic()))
                return time.monotonic()
            time.sleep(0.2)
        raise JobError(
            f"The TaskManager Deployment did not reach {count} ready, registered pods in {s.rescale_timeout_s:g} s.",
            "See the pods' events (d in the Pods pane).",
        )

    return timing.finish(apply, unaffected)


def _attempts(cluster: KubernetesCluster, job_id: str) -> tuple[object, ...] | None:
    """`job_submit.attempts`, or None (unknown: wait as for a restart) when Flink's REST API does not answer."""
    try:
        return job_submit.attempts(cluster.rest, job_id)
    except Exception:
        return None
