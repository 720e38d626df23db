"""A platform is a capability set: what a run can read and do there, each part explicit in the type.

One factory per platform kind (simulator, local, testbed) builds a `Capabilities`. A part a platform lacks is
None (or empty) here and is said on screen as such ("no load control on this platform"), never a silent no-op.
The run loop (`engine.run`) drives any set the same way; the contract tests run against every factory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from scaletui.chaos.backend import FaultBackend
from scaletui.cluster.base import Instance, JobInfo
from scaletui.config.models import JobSpec
from scaletui.errors import UserError
from scaletui.events import ActuationEvent, EventBus
from scaletui.latency.matrix import LatencyMatrix
from scaletui.metrics.model import JobSample
from scaletui.scaling.clock import Clock
from scaletui.scaling.observation import TopologySource
from scaletui.workload.profiles import LoadProfile

Kind = Literal["simulator", "local", "testbed"]
Backend = Literal["local", "kubernetes", "simulator"]
Part = Literal["actuation", "job", "load", "latency", "faults"]

STEP_NEEDS: dict[str, tuple[Part, str]] = {
    "fault": ("faults", "fault injection"),
    "load": ("load", "load control"),
    "rescale": ("actuation", "rescaling"),
    "taskmanagers": ("actuation", "rescaling"),
    "submit": ("job", "job control"),
    "cancel-job": ("job", "job control"),
}
"""What a timeline step (by its `do`) needs of a capability set: the part and its name in a sentence."""


def unmet_need(do: str, has: Callable[[Part], bool]) -> str | None:
    """The name of what a `do` step needs and `has` says is missing ("fault injection"), or None."""
    part, what = STEP_NEEDS.get(do, (None, ""))
    return what if part is not None and not has(part) else None


class ClusterView(Protocol):
    """Reading the cluster: its instances (processes, pods, virtual ones) and the job graph."""

    @property
    def name(self) -> str: ...

    def instances(self) -> list[Instance]: ...

    def job(self) -> JobInfo | None: ...


class MetricsSource(Protocol):
    """Samples of the job: the source publishes each on the bus itself (a poller thread, or the simulated clock);
    `latest` is what the autoscaler reads."""

    def latest(self) -> JobSample: ...


class Actuation(Protocol):
    """Changing the job's resources; each call blocks until the change is in effect and reports its downtime."""

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent: ...

    def set_taskmanagers(self, count: int) -> ActuationEvent: ...

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent: ...

    @property
    def taskmanager_limit(self) -> int | None:
        """The most TaskManagers the platform can run (the simulated nodes' room), checked before a change by hand
        pauses the autoscaler; None when it knows no bound (local processes, a Kubernetes Deployment)."""
        ...


class JobControl(Protocol):
    """Submitting and cancelling the workload job."""

    def submit(self, spec: JobSpec, rate: float, cancel: threading.Event) -> JobInfo: ...

    def cancel(self) -> None: ...

    def failure(self) -> str:
        """Why the job failed, or "" while it runs (or never ran)."""
        ...


class LoadControl(Protocol):
    """Driving the load generator with a profile; `tick` runs once per loop step. What it produced is measured by
    the metrics source (the sample's achieved rate), never assumed."""

    how: str
    """One phrase for the UI: "the workload job's rate file", "the simulated source"."""

    def set_profile(self, profile: LoadProfile, origin: float) -> None:
        """From now on the target is `profile.rate_at(t - origin)` on the platform's clock."""
        ...

    def tick(self, now: float) -> None: ...


class LatencySource(Protocol):
    def matrix(self) -> LatencyMatrix: ...


@dataclass
class Capabilities:
    """What one opened platform offers. Build with a factory (`open_capabilities`); close with `close`."""

    kind: Kind
    platform: str
    backend: Backend
    clock: Clock
    cluster: ClusterView
    metrics: MetricsSource
    actuation: Actuation | None = None
    job: JobControl | None = None
    load: LoadControl | None = None
    latency: LatencySource | None = None
    faults: tuple[FaultBackend, ...] = ()
    topology: TopologySource | None = None
    virtual_time: bool = False
    """The clock is simulated: time moves only when the run loop sleeps on it, one step at a time."""
    adopted: bool = False
    """Opening took over a cluster a crashed scaletui left running instead of starting one."""
    closer: Callable[[bool], None] = field(default=lambda stop: None)
    """Release what the set holds; `stop` also stops a cluster this set started."""

    def missing(self) -> list[str]:
        """One phrase per absent capability, for the UI and the log."""
        gaps = [
            ("actuation", "no rescaling"),
            ("job", "no job control (the job runs with the cluster)"),
            ("load", "no load control"),
            ("latency", "no latency source"),
        ]
        out = [text for name, text in gaps if getattr(self, name) is None]
        if not self.faults:
            out.append("no fault injection")
        return out

    def has(self, part: Part) -> bool:
        return bool(self.faults) if part == "faults" else getattr(self, part) is not None

    def require_actuation(self) -> Actuation:
        if self.actuation is None:
            raise UserError(f"No rescaling on the {self.platform} platform.")
        return self.actuation

    def require_job(self) -> JobControl:
        if self.job is None:
            raise UserError(f"No job control on the {self.platform} platform: its job runs as long as its cluster.")
        return self.job

    def require_load(self) -> LoadControl:
        if self.load is None:
            raise UserError(f"No load control on the {self.platform} platform.")
        return self.load

    def close(self, stop_cluster: bool) -> None:
        self.closer(stop_cluster)


@dataclass(frozen=True)
class ScalingTarget:
    """The one object the scaling controller drives, composed from a set: what it reads and what it changes."""

    view: ClusterView
    metrics: MetricsSource
    actuation: Actuation
    bus: EventBus
    """Where the set's actuations report themselves (the controller does not publish them again)."""

    @property
    def name(self) -> str:
        return self.view.name

    def instances(self) -> list[Instance]:
        return self.view.instances()

    def job(self) -> JobInfo | None:
        return self.view.job()

    def sample(self) -> JobSample:
        return self.metrics.latest()

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        return self.actuation.set_parallelism(parallelism)

    def set_taskmanagers(self, count: int) -> ActuationEvent:
        return self.actuation.set_taskmanagers(count)

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent:
        return self.actuation.savepoint_restart(parallelism)


def one_way_ms(matrix: LatencyMatrix) -> dict[str, dict[str, float]] | None:
    """A round-trip matrix as node -> node -> one-way ms (half the round trip), None when nothing was measured."""
    if not matrix.rtt_ms:
        return None
    out: dict[str, dict[str, float]] = {n: {n: 0.0} for n in matrix.nodes}
    for (a, b), rtt in matrix.rtt_ms.items():
        out.setdefault(a, {})[b] = rtt / 2
        out.setdefault(b, {})[a] = rtt / 2
    return out
