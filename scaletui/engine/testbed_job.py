"""Job control on a testbed: scaletui's workload job submitted to Flink on Kubernetes, or the application stage's
job attached to, as the experiment file's `[job] source` says.

Either way the job is watched every `WATCH_S` through the proxied REST API: its state and parallelism go on the bus
as `JobChanged` (the session and the Pods pane follow it), and a failure is kept for the run loop to end the run on.
While the API server is away the watch keeps the last state: an unanswered poll is not a failure of the job.

A workload job a killed scaletui left running is cancelled before a new one is submitted (and said so): an
experiment starts from its own initial parallelism, never from what the previous run had reached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.cluster.base import JobInfo
from scaletui.config.models import JobSpec
from scaletui.errors import JobError, PlatformError, UserError
from scaletui.events import EventBus, JobChanged
from scaletui.flink import job_submit

if TYPE_CHECKING:
    from scaletui.cluster.kubernetes.backend import KubernetesCluster
    from scaletui.cluster.kubernetes.load import RateServiceLoad

log = logging.getLogger(__name__)
WATCH_S = 2.0
FAILED = ("FAILED", "FAILING")


class WatchedJob:
    """What both job sources share: the watch thread, `JobChanged` events, `failure()`."""

    def __init__(self, cluster: KubernetesCluster, bus: EventBus) -> None:
        self.cluster = cluster
        self.bus = bus
        self.job_id: str | None = None
        self._failure = ""
        self._seen: tuple[str, tuple[tuple[str, int], ...]] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="k8s-job-watch", daemon=True)
        self._thread.start()

    def failure(self) -> str:
        return self._failure

    def watching(self, info: JobInfo, message: str = "") -> JobInfo:
        """Follow this job from now on, and say so on the bus."""
        self.job_id, self._failure, self._seen = info.job_id, "", None
        self._publish(info, message)
        return info

    def _watch(self) -> None:
        from scaletui.flink.job_graph import describe_job

        while not self._stop.wait(WATCH_S):
            job_id = self.job_id
            if job_id is None:
                continue
            try:
                info = describe_job(self.cluster.rest, job_id, self.cluster.keyed(job_id))
            except UserError:
                continue  # the API server or Flink is away: the job's state is unknown, not failed
            except Exception:
                log.exception("watching job %s failed", job_id)
                continue
            if info.state in FAILED and not self._failure:
                self._failure = f"the job is {info.state}: {job_submit.root_cause(self.cluster.rest, job_id)}"
            if job_id == self.job_id:
                self._publish(info, self._failure)

    def _publish(self, info: JobInfo, message: str) -> None:
        seen = (info.state, tuple(sorted(info.parallelism.items())))
        if seen == self._seen:
            return
        self._seen = seen
        self.bus.publish(JobChanged(source="kubernetes", job_id=info.job_id, state=info.state,
                                    parallelism=info.parallelism, message=message, info=info))  # fmt: skip

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=WATCH_S + 5)


class WorkloadOnKubernetes(WatchedJob):
    """`[job] source = "workload"`: the workload jar (compiled here against the local Flink) uploaded and run
    through the proxied REST API, its source reading the rate service."""

    def __init__(
        self,
        cluster: KubernetesCluster,
        rate: RateServiceLoad,
        jar: Callable[[], Path],
        bus: EventBus,
        notice: Callable[[str], None],
    ) -> None:
        super().__init__(cluster, bus)
        self.rate = rate
        self.jar = jar
        self.notice = notice

    def submit(self, spec: JobSpec, rate: float, cancel: threading.Event) -> JobInfo:
        for leftover in self._running_workloads():
            self._cancel(leftover)
            self.notice(f"Cancelled workload job {leftover[:8]}, left running on the testbed by an earlier run.")
        replicas = self.cluster.taskmanager_replicas()
        if replicas != spec.taskmanagers:
            self.cluster.set_taskmanagers(spec.taskmanagers)
        job_id = self.rate.submit(self.jar(), spec, rate, cancel=cancel)
        info = self.cluster.job()
        if info is None or info.job_id != job_id:
            raise JobError("The workload job stopped right after it started.", "See the JobManager's log (l in Pods).")
        return self.watching(info, "workload job submitted")

    def cancel(self) -> None:
        if self.job_id is None:
            raise JobError("No workload job is running.", "Submit it with j.")
        job_id, self.job_id = self.job_id, None
        self._cancel(job_id)
        self.bus.publish(JobChanged(source="kubernetes", job_id=job_id, state="CANCELED", message="job cancelled"))

    def _running_workloads(self) -> list[str]:
        return [
            str(j["jid"])
            for j in self.cluster.rest.jobs()
            if j.get("name") == job_submit.JOB_NAME and j.get("state") not in job_submit.TERMINAL
        ]

    def _cancel(self, job_id: str, timeout_s: float = 60.0) -> None:
        rest = self.cluster.rest
        rest.cancel(job_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and rest.job(job_id)["state"] not in job_submit.TERMINAL:
            time.sleep(0.2)


class AttachedJob(WatchedJob):
    """`[job] source = "application"`: the application stage's job; "submitting" attaches to it and applies the
    file's initial parallelism. It belongs to the stage, so it is never cancelled from here."""

    def submit(self, spec: JobSpec, rate: float, cancel: threading.Event) -> JobInfo:
        info = self.cluster.job()
        if info is None:
            raise JobError(
                "No Flink job runs on the cluster.",
                'The application stage deploys it: add "application" (or "app:flink") to experiment.stages.',
            )
        if spec.parallelism:
            self.cluster.set_parallelism(dict(spec.parallelism))
            info = self.cluster.job() or info
        return self.watching(info, "attached to the application's job")

    def cancel(self) -> None:
        raise PlatformError("The testbed's job belongs to the application stage.", "Delete it with d on app:flink.")
