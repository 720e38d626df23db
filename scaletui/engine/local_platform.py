"""Experiments and the live loop on the local platform: a real Flink cluster on loopback, driven by the engine.

The cluster is scaletui's own (in `<session>/flink`); a cluster left by a crashed scaletui is adopted or stopped
as the caller chooses (`recovery`), before anything is started. Metrics come from the backend's collector, which
publishes them itself, so `sample()` returns None here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal

from scaletui.config.models import FaultSpec, JobSpec
from scaletui.engine.platform_session import ControlledPlatform
from scaletui.events import Event, JobChanged
from scaletui.metrics.model import JobSample
from scaletui.scaling.clock import WallClock

if TYPE_CHECKING:
    from scaletui.cluster.local import LocalClusterBackend
    from scaletui.engine.core import Engine
    from scaletui.engine.prepare import PreparedExperiment
    from scaletui.session.model import Session

Recovery = Literal["adopt", "stop"]


def leftover_cluster(engine: Engine) -> bool:
    """True when the session records Flink processes that no live object of this scaletui owns (a crash)."""
    return bool(engine.store.session.cluster.processes) and not engine.live.is_open and engine.current_run is None


class LocalPlatform(ControlledPlatform):
    def __init__(
        self,
        engine: Engine,
        prepared: PreparedExperiment,
        cancel: threading.Event,
        recovery: Recovery = "stop",
        backend: LocalClusterBackend | None = None,
    ) -> None:
        """`backend` is a cluster someone else started (left running at close); otherwise scaletui starts its own."""
        super().__init__(engine)
        self.clock = WallClock()
        self.prepared = prepared
        self._rate: float | None = None
        self.owns_cluster = backend is None
        if backend is None:
            backend = self._start_own(cancel, recovery)
        self.backend = backend
        self.cluster = backend

        def record(s: Session) -> None:
            s.cluster.backend = "local"
            s.cluster.rest_url = backend.cluster.rest_url
            s.cluster.flink_home = str(backend.cluster.home.path)
            s.cluster.flink_version = backend.cluster.home.version

        engine.store.update(record)
        self._job_state = ""
        self._unsubscribe = engine.bus.subscribe(self._on_job, JobChanged)

    def _on_job(self, event: Event) -> None:
        """Keep the session's job (state, parallelism) in step with what the backend reports."""
        assert isinstance(event, JobChanged)
        self._job_state = event.state

        def change(s: Session) -> None:
            s.job.state = event.state
            for op in s.job.operators:
                op.parallelism = event.parallelism.get(op.name, op.parallelism)

        if self.engine.store.session.job.job_id:
            self.engine.store.update(change)

    def _start_own(self, cancel: threading.Event, recovery: Recovery) -> LocalClusterBackend:
        from scaletui.cluster.local import LocalClusterBackend
        from scaletui.flink.cluster_config import settings_from_platform

        pf = self.prepared.platform
        table = pf.settings.get("flink", {})
        settings = settings_from_platform(table if isinstance(table, dict) else {}, f"platform {pf.platform.name}")
        job = self.prepared.experiment.job
        if "slots_per_taskmanager" not in (table if isinstance(table, dict) else {}):
            settings.slots_per_taskmanager = job.slots_per_taskmanager
        engine = self.engine
        backend = LocalClusterBackend.create(
            engine.cache_dir, engine.session_dir, engine.bus, engine.store, settings, cancel
        )
        if engine.store.session.cluster.processes:
            found = backend.recover(recovery)
            if found.adopted:
                engine.notice(f"Adopted the Flink cluster left running: {', '.join(found.adopted)}.")
                return backend
            if found.stopped:
                engine.notice(f"Stopped the Flink processes left by an earlier run: {', '.join(found.stopped)}.")
        backend.start(job.taskmanagers, cancel)
        return backend

    def run_stages(self, stages: list[str], cancel: threading.Event) -> str:
        for step in stages:
            self.engine.testbed.run_checked(step)
        return f"ran {', '.join(stages)}" if stages else "no stages for the local platform"

    def submit_job(self, job: JobSpec) -> None:
        if self.backend.job_id is not None:
            self.backend.cancel_job()
        rate = self.prepared.profile.rate_at(0)
        self.backend.submit_job(job, rate=rate)
        self._rate = rate
        self.record_job()

    def cancel_job(self) -> str:
        self.backend.cancel_job()
        self.record_job()
        return "Job cancelled."

    def set_profile(self, profile: object) -> None:
        """The live loop applies the new profile's rates; nothing to reset on the cluster."""

    def set_rate(self, rate: float) -> None:
        if self.backend.job_id is not None and (self._rate is None or abs(rate - self._rate) > 1e-6):
            self.backend.set_target_rate(rate)
            self._rate = rate

    def fire_fault(self, fault: FaultSpec) -> None:
        self.engine.notice(self.engine.faults.fire_spec(fault))

    def sample(self) -> JobSample | None:
        return None

    def job_failed(self) -> str:
        return f"the job is {self._job_state}" if self._job_state in ("FAILED", "FAILING") else ""

    def close(self, stop_cluster: bool) -> None:
        self._unsubscribe()
        if self.owns_cluster and stop_cluster:
            self.backend.stop()
        elif self.owns_cluster:
            self.backend.detach()
        else:
            self.backend.cancel_job()

        def record(s: Session) -> None:
            if self.owns_cluster and stop_cluster:
                s.cluster.backend, s.cluster.rest_url = "none", ""
            s.job.job_id, s.job.state, s.job.operators, s.job.taskmanagers = "", "none", [], 0

        self.engine.store.update(record)
