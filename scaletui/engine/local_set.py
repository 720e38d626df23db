"""The local platform's capability set: a real Flink cluster on loopback, driven by the engine.

Everything is here: cluster and metrics (Flink's REST API, polled by the backend's collector, which publishes each
sample), rescaling, job control (the workload job), load control (the job's rate file), latency (connect probes
between the instances) and faults (signals, stress-ng, tc, the NFQUEUE delay queue). The cluster is scaletui's own
(in `<session>/flink`); one a crashed scaletui left running is adopted or stopped as the caller chooses, before
anything is started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from scaletui.cluster.base import JobInfo
from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.config.models import JobSpec, PlatformFile
from scaletui.engine.capabilities import Capabilities
from scaletui.errors import JobError
from scaletui.events import Event, EventBus, JobChanged
from scaletui.flink.processes import FlinkProcess
from scaletui.latency.matrix import LatencyMatrix
from scaletui.scaling.clock import WallClock
from scaletui.workload.profiles import LoadProfile

Recovery = Literal["adopt", "stop"]


class LocalJob:
    """The workload job: submitted with the rate of the moment, its failure seen in the backend's job events."""

    def __init__(self, backend: LocalClusterBackend, bus: EventBus) -> None:
        self.backend = backend
        self._failure = ""
        self._unsubscribe = bus.subscribe(self._on_job, JobChanged)

    def _on_job(self, event: Event) -> None:
        assert isinstance(event, JobChanged)
        if event.state in ("FAILED", "FAILING"):
            self._failure = f"the job is {event.state}" + (f": {event.message}" if event.message else "")
        elif event.state in ("RUNNING", "CREATED", "INITIALIZING"):
            self._failure = ""

    def submit(self, spec: JobSpec, rate: float, cancel: threading.Event) -> JobInfo:
        if self.backend.job_id is not None:
            self.backend.cancel_job()
        return self.backend.submit_job(spec, rate=rate, cancel=cancel)

    def cancel(self) -> None:
        if self.backend.job_id is None:
            raise JobError("No workload job is running.", "Submit it with j.")
        self.backend.cancel_job()

    def failure(self) -> str:
        return self._failure

    def close(self) -> None:
        self._unsubscribe()


class RateFileLoad:
    """Writes the profile's rate to the running job's rate file whenever it changes (the job reads it every 100 ms)."""

    how = "the workload job's rate file"

    def __init__(self, backend: LocalClusterBackend) -> None:
        self.backend = backend
        self._profile: LoadProfile | None = None
        self._origin = 0.0
        self._written: float | None = None

    def set_profile(self, profile: LoadProfile, origin: float) -> None:
        self._profile, self._origin = profile, origin
        self.tick(time.time())

    def tick(self, now: float) -> None:
        if self._profile is None:
            return
        rate = self._profile.rate_at(now - self._origin)
        if self.backend.job_id is not None and (self._written is None or abs(rate - self._written) > 1e-6):
            self.backend.set_target_rate(rate)
            self._written = rate


class InstanceProbes:
    """Connect probes between the cluster's processes: whatever delays an instance's egress shows here."""

    def __init__(self, backend: LocalClusterBackend) -> None:
        self.backend = backend

    def matrix(self) -> LatencyMatrix:
        from scaletui.latency.probe import ProbeLatency

        return ProbeLatency().matrix([i for i in self.backend.instances() if i.pid is not None])


def open_local(
    platform: PlatformFile,
    job: JobSpec,
    bus: EventBus,
    session_dir: Path,
    cache_dir: Path,
    remembered: tuple[FlinkProcess, ...],
    cancel: threading.Event,
    recovery: Recovery = "stop",
    notice: Callable[[str], None] = lambda message: None,
) -> Capabilities:
    """Install Flink if needed, adopt or stop what a crash left, start JobManager and TaskManagers."""
    from scaletui.flink.cluster_config import settings_from_platform

    table = platform.settings.get("flink", {})
    table = table if isinstance(table, dict) else {}
    settings = settings_from_platform(table, f"platform {platform.platform.name}")
    if "slots_per_taskmanager" not in table:
        settings.slots_per_taskmanager = job.slots_per_taskmanager
    backend = LocalClusterBackend.create(cache_dir, session_dir, bus, settings, cancel, remembered)
    adopted = False
    if remembered or backend.cluster.layout.pids.is_dir():
        found = backend.recover(recovery)
        if found.adopted:
            notice(f"Adopted the Flink cluster left running: {', '.join(found.adopted)}.")
            adopted = True
        elif found.stopped:
            notice(f"Stopped the Flink processes left by an earlier run: {', '.join(found.stopped)}.")
    if not adopted:
        backend.start(job.taskmanagers, cancel)
    caps = local_capabilities(backend, bus, platform.platform.name, owns_cluster=True)
    caps.adopted = adopted
    return caps


def local_capabilities(
    backend: LocalClusterBackend, bus: EventBus, platform: str = "local", owns_cluster: bool = False
) -> Capabilities:
    """The set over a started backend; closing it stops (or leaves running) only a cluster it owns."""
    from scaletui.chaos.process_faults import LocalFaults

    job_control = LocalJob(backend, bus)

    def close(stop_cluster: bool) -> None:
        job_control.close()
        if not owns_cluster:
            return
        if stop_cluster:
            backend.stop()
        else:
            backend.detach()

    return Capabilities(
        kind="local",
        platform=platform,
        backend="local",
        clock=WallClock(),
        cluster=backend,
        metrics=backend,
        actuation=backend,
        job=job_control,
        load=RateFileLoad(backend),
        latency=InstanceProbes(backend),
        faults=(LocalFaults(instances=backend.instances),),
        closer=close,
    )
