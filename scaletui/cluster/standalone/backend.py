"""The `cluster` backend of the local platform: real Flink processes on loopback, the workload job, real rescaling.

Methods block (the engine calls them from workers). Actuations publish an ActuationEvent when issued and another
when done, with the measured downtime: the time from issuing until the source's measured rate is back within 10 %
of the target (None if that did not happen before the deadline).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from scaletui.cluster.base import Instance, JobInfo, check_parallelism
from scaletui.cluster.standalone.downtime import KEPT_RUNNING, NO_JOB, DowntimeProbe, stop_with_savepoint
from scaletui.cluster.standalone.health import ProcessHealth
from scaletui.cluster.standalone.instances import list_instances
from scaletui.config.models import JobSpec
from scaletui.errors import JobError, PlatformError
from scaletui.events import ActuationEvent, ClusterChanged, ErrorEvent, EventBus, JobChanged
from scaletui.flink import job_submit
from scaletui.flink.cluster_config import ClusterSettings
from scaletui.flink.install import FlinkHome, FlinkInstall
from scaletui.flink.job_graph import describe_job, running_job
from scaletui.flink.leftovers import Recovery, RecoveryChoice
from scaletui.flink.metrics import FlinkMetricsCollector
from scaletui.flink.proc_stats import ProcStats
from scaletui.flink.processes import FlinkProcess
from scaletui.flink.standalone import LocalFlinkCluster
from scaletui.metrics.model import JobSample
from scaletui.workload.jobjar import workload_jar

log = logging.getLogger(__name__)
DEFAULT_RATE = 100.0


class LocalClusterBackend:
    """ClusterBackend over a LocalFlinkCluster; also submits the workload job and drives its source rate."""

    name = "local"
    taskmanager_limit: int | None = None
    """No bound known: a TaskManager more is one process more."""

    def __init__(
        self,
        cluster: LocalFlinkCluster,
        cache_dir: Path | str,
        bus: EventBus | None = None,
        restart_dead: bool = True,
        downtime_deadline_s: float = 60.0,
    ) -> None:
        self.cluster = cluster
        self.cache_dir = Path(cache_dir).expanduser()
        self.bus = bus or EventBus()
        self.restart_dead = restart_dead
        self.downtime_deadline_s = downtime_deadline_s
        self.rate_file = cluster.layout.root / "target-rate"
        self.spec_file = cluster.layout.root / "job-spec.json"
        self._target: float | None = None
        self._job_id: str | None = None
        self._spec: JobSpec | None = None
        self._jar_id: str | None = None
        self._proc_stats = ProcStats()
        self._act_lock = threading.Lock()
        self.health = ProcessHealth(cluster, self.bus, self._act_lock, self._publish_cluster, self._jobmanager_died)
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.collector: FlinkMetricsCollector | None = None

    @classmethod
    def create(
        cls,
        cache_dir: Path | str,
        session_dir: Path | str,
        bus: EventBus | None = None,
        settings: ClusterSettings | None = None,
        cancel: threading.Event | None = None,
        remembered: tuple[FlinkProcess, ...] = (),
    ) -> LocalClusterBackend:
        """Install Flink if needed (FLINK_HOME wins) and prepare, not start, a cluster in `<session_dir>/flink`;
        `remembered` are the processes the session recorded, for `recover`."""
        home: FlinkHome = FlinkInstall(cache_dir, bus=bus).ensure(cancel)
        cluster = LocalFlinkCluster(home, Path(session_dir) / "flink", settings, bus, remembered)
        return cls(cluster, cache_dir, bus)

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def start(self, taskmanagers: int = 1, cancel: threading.Event | None = None) -> None:
        self.cluster.start(taskmanagers, cancel)
        self._after_start()

    def recover(self, choice: RecoveryChoice) -> Recovery:
        """After a crash of scaletui: adopt the cluster it left (and its running job) or stop it."""
        found = self.cluster.recover(choice)
        if found.adopted:
            self._job_id = running_job(self.cluster.rest, job_submit.JOB_NAME)
            if self.rate_file.is_file():
                self._target = float(self.rate_file.read_text().strip() or DEFAULT_RATE)
            if self.spec_file.is_file():
                self._spec = JobSpec.model_validate_json(self.spec_file.read_text())
            self._after_start()
        return found

    def detach(self) -> None:
        """Stop watching and polling but leave the processes running (teardown "keep"; `recover` adopts them)."""
        self._watch_stop.set()
        if self._watcher is not None:
            self._watcher.join(30.0)
            self._watcher = None
        if self.collector is not None:
            self.collector.stop()
            self.collector = None

    def stop(self) -> None:
        """Stop the watcher and the collector, then every process (the job goes with the cluster)."""
        self.detach()
        self.cluster.stop()
        self._job_id = self._jar_id = None
        self._publish_cluster("cluster stopped")

    def _after_start(self) -> None:
        self.health.reset()
        self.collector = FlinkMetricsCollector(self.cluster.rest, lambda: self._job_id, lambda: self._target, self.bus)
        self.collector.start()
        self._watch_stop.clear()
        self._watcher = threading.Thread(target=self._watch, name="local-cluster-watch", daemon=True)
        self._watcher.start()
        self._publish_cluster("cluster running")

    # --- ClusterBackend: reading ----------------------------------------------------------------------------------

    def instances(self) -> list[Instance]:
        return list_instances(self.cluster, self._proc_stats, self.health.restarts)

    def job(self) -> JobInfo | None:
        if self._job_id is None or not self.cluster.running:
            return None
        info = describe_job(self.cluster.rest, self._job_id)
        return None if info.state in job_submit.TERMINAL else info

    def sample(self) -> JobSample:
        if self.collector is None:
            return JobSample(ts=time.time(), stale=True)
        latest = self.collector.latest()
        if latest is None or time.time() - latest.ts > 2 * self.collector.interval_s + 1:
            return self.collector.poll()
        return latest

    def latest(self) -> JobSample:
        """The MetricsSource view of `sample` (the collector publishes every sample itself)."""
        return self.sample()

    @property
    def target_rate(self) -> float | None:
        return self._target

    @property
    def job_id(self) -> str | None:
        return self._job_id

    # --- the workload job -----------------------------------------------------------------------------------------

    def set_target_rate(self, rate: float) -> None:
        """Write the source's total target rate (records/s); the running job picks it up within 100 ms."""
        if not rate >= 0:
            raise JobError(f"A target rate must be 0 or more records per second, not {rate}.")
        self.rate_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.rate_file.with_suffix(".tmp")
        tmp.write_text(f"{rate:.6g}\n")
        os.replace(tmp, self.rate_file)
        self._target = float(rate)

    def submit_job(
        self, spec: JobSpec, rate: float | None = None, cancel: threading.Event | None = None, timeout_s: float = 120.0
    ) -> JobInfo:
        """Build (once) and submit the workload job; grows the cluster to `spec.taskmanagers` first if needed."""
        if not self.cluster.running:
            raise PlatformError("The local Flink cluster is not started.", "Start the cluster first.")
        if self._job_id is not None and self.job() is not None:
            raise JobError("A workload job is already running.", "Cancel it first.")
        missing = spec.taskmanagers - len(self.cluster.taskmanager_names())
        for _ in range(max(0, missing)):
            self.cluster.add_taskmanager(cancel=cancel)
        self.set_target_rate(rate if rate is not None else (self._target if self._target is not None else DEFAULT_RATE))
        jar_id = self.prepare_job()
        assert self._target is not None
        args = job_submit.workload_args(spec, self.rate_file, self._target)
        self._job_id = job_submit.run_and_wait(self.cluster.rest, jar_id, args, timeout_s, cancel=cancel)
        self._spec = spec
        self.spec_file.write_text(spec.model_dump_json())
        return self._job_changed("workload job submitted")

    def prepare_job(self) -> str:
        """Compile the workload jar if needed (cached by source hash) and upload it once; returns the jar id."""
        if self._jar_id is None:
            jar = workload_jar(self.cluster.home, self.cache_dir)
            self._jar_id = self.cluster.rest.upload_jar(jar)
        return self._jar_id

    def cancel_job(self, timeout_s: float = 60.0) -> None:
        if self._job_id is None:
            return
        job_id, self._job_id = self._job_id, None
        self.cluster.rest.cancel(job_id)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.cluster.rest.job(job_id)["state"] not in job_submit.TERMINAL:
            time.sleep(0.2)
        self.bus.publish(JobChanged(source="cluster.local", job_id=job_id, state="CANCELED", message="job cancelled"))

    # --- ClusterBackend: actuation --------------------------------------------------------------------------------

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        """Rescale operators in place through the adaptive scheduler's resource requirements."""
        with self._act_lock:
            info = self._require_job()
            by_name = {op.name: op for op in info.operators}
            check_parallelism(info.max_parallelism, parallelism)
            before = {n: by_name[n].parallelism for n in parallelism}
            probe = self._probe("parallelism", ",".join(sorted(parallelism)), before, dict(parallelism))
            rest, job_id = self.cluster.rest, self._job_id
            assert job_id is not None
            requirements = rest.resource_requirements(job_id)
            for name, value in parallelism.items():
                bounds = requirements[by_name[name].vertex_id]["parallelism"]
                bounds["upperBound"] = value
                bounds["lowerBound"] = min(int(bounds.get("lowerBound", 1)), value)
            rest.set_resource_requirements(job_id, requirements)
            wanted = self._slots_for({by_name[n].vertex_id: v for n, v in parallelism.items()})
            event = probe.finish(lambda: job_submit.wait_running(rest, job_id, 60.0, parallelism=wanted))
        self._job_changed(f"rescaled {probe.target} in place")
        return event

    def set_taskmanagers(self, count: int) -> ActuationEvent:
        """Start or stop TaskManagers (newest first) until there are `count`."""
        if count < 0:
            raise PlatformError(f"A TaskManager count must be 0 or more, not {count}.")
        with self._act_lock:
            names = self.cluster.taskmanager_names()
            job_id = self._job_id
            before = job_submit.attempts(self.cluster.rest, job_id) if job_id else None
            probe = self._probe("taskmanagers", "taskmanagers", len(names), count)

            def apply() -> float:
                for _ in range(count - len(names)):
                    self.cluster.add_taskmanager()
                for _ in range(len(names) - count):
                    self.cluster.remove_taskmanager()
                self._publish_cluster(f"{count} TaskManagers")
                if self._job_id is not None:
                    return job_submit.wait_running(self.cluster.rest, self._job_id, 90.0)
                return time.monotonic()

            def unaffected() -> str:
                if job_id is None:
                    return NO_JOB
                kept = before is not None and job_submit.attempts(self.cluster.rest, job_id) == before
                return KEPT_RUNNING if kept else ""

            event = probe.finish(apply, unaffected)
        if self._job_id is not None:
            self._job_changed(f"{count} TaskManagers")
        return event

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent:
        """Stop with a savepoint and resubmit with the new parallelism (the fallback rescale)."""
        with self._act_lock:
            info = self._require_job()
            if self._spec is None:
                raise JobError("The running job was not submitted by scaletui, so it cannot be resubmitted.")
            before = info.parallelism
            after = {**before, **parallelism}
            unknown = sorted(set(parallelism) - set(before))
            if unknown:
                raise JobError(
                    f"The job has no operator named {', '.join(unknown)}.", f"Use one of: {', '.join(before)}."
                )
            rest, spec, jar_id = self.cluster.rest, self._spec, self.prepare_job()
            probe = self._probe("savepoint-restart", ",".join(sorted(parallelism)), before, after)

            def apply() -> float:
                assert self._job_id is not None and self._target is not None
                location = stop_with_savepoint(rest, self._job_id, self.cluster.layout.savepoints.as_uri())
                args = job_submit.workload_args(spec, self.rate_file, self._target, after)
                self._job_id = job_submit.run_and_wait(rest, jar_id, args, 120.0, savepoint_path=location)
                return time.monotonic()

            event = probe.finish(apply)
        self._job_changed("restarted from a savepoint")
        return event

    # --- health ---------------------------------------------------------------------------------------------------

    def check_health(self) -> list[str]:
        """Say the processes that died and start them again (`health.py`); report a job that ended on its own."""
        restarted = self.health.check(self.restart_dead)
        self._check_job()
        return restarted

    def _jobmanager_died(self) -> None:
        if self.restart_dead:
            hint = (
                "It is being started again on its ports and the TaskManagers join it again; the job is lost (Flink "
                "runs here without high availability): submit it again with j in the Pods pane."
            )
        else:
            hint = "Stop and start the cluster (S, then s in the Pods pane)."
        self.bus.publish(ErrorEvent(source="cluster.local", message="The Flink JobManager died.", hint=hint))
        job_id, self._job_id, self._jar_id = self._job_id, None, None  # a new JobManager has not had the jar
        if job_id is not None:
            self.bus.publish(JobChanged(source="cluster.local", job_id=job_id, state="FAILED",
                                        message="lost with the JobManager"))  # fmt: skip

    def _check_job(self) -> None:
        """A job that ended without us cancelling it (e.g. failed for good) is reported once and forgotten."""
        job_id = self._job_id
        if job_id is None or self.health.jobmanager_down:
            return
        if not self._act_lock.acquire(blocking=False):
            return  # an actuation (e.g. a savepoint restart) is ending this job on purpose
        try:
            state = self.cluster.rest.job(job_id)["state"]
            if state not in job_submit.TERMINAL or self._job_id != job_id:
                return
            self._job_id = None
        finally:
            self._act_lock.release()
        cause = job_submit.root_cause(self.cluster.rest, job_id)
        self.bus.publish(JobChanged(source="cluster.local", job_id=job_id, state=state, message=cause))
        if state == "FAILED":
            self.bus.publish(ErrorEvent(source="cluster.local", message=f"The workload job failed: {cause}",
                                        hint="See the JobManager log in the session directory."))  # fmt: skip

    def _watch(self) -> None:
        while not self._watch_stop.wait(1.0):
            try:
                self.check_health()
            except Exception:  # keep watching; details to the log
                log.exception("health check failed")

    # --- internals ------------------------------------------------------------------------------------------------

    def _require_job(self) -> JobInfo:
        info = self.job()
        if info is None:
            raise JobError("No workload job is running.", "Submit the job first.")
        return info

    def _probe(self, kind: str, target: str, before: object, after: object) -> DowntimeProbe:
        return DowntimeProbe(self.bus, self.collector, lambda: self._target, kind, target, before, after,
                             self.downtime_deadline_s)  # fmt: skip

    def _slots_for(self, wanted: dict[str, int]) -> dict[str, int]:
        """The parallelism the scheduler can give: an upper bound above the cluster's slots is capped by them."""
        total = int(self.cluster.rest.overview()["slots-total"])
        return {vid: min(value, total) for vid, value in wanted.items()}

    def _job_changed(self, message: str) -> JobInfo:
        """Describe the current job and publish it (the engine records it in the session)."""
        assert self._job_id is not None
        info = describe_job(self.cluster.rest, self._job_id)
        self.bus.publish(JobChanged(source="cluster.local", job_id=info.job_id, state=info.state,
                                    parallelism=info.parallelism, message=message, info=info,
                                    taskmanagers=len(self.cluster.taskmanager_names())))  # fmt: skip
        return info

    def _publish_cluster(self, message: str) -> None:
        try:
            instances = tuple(self.instances())
        except PlatformError:
            instances = ()
        self.bus.publish(ClusterChanged(source="cluster.local", instances=instances, message=message))
