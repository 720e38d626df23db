"""The running side of an experiment on one platform: its clock, job, load, strategy and faults.

`open_platform` picks the implementation by the platform file's type: the simulator runs on its own clock (an hour
in seconds); `local` drives real Flink on loopback; testbed types reserve machines and run the stages first.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Literal, Protocol

from scaletui.cluster.base import ClusterBackend
from scaletui.config.models import FaultSpec, JobSpec, StrategySpec
from scaletui.errors import ConfigError, UserError
from scaletui.metrics.model import JobSample
from scaletui.scaling.clock import Clock
from scaletui.scaling.strategy import Strategy

if TYPE_CHECKING:
    from scaletui.engine.core import Engine
    from scaletui.engine.prepare import PreparedExperiment
    from scaletui.scaling.controller import ScalingController
    from scaletui.session.model import Session
    from scaletui.workload.profiles import LoadProfile


class PlatformSession(Protocol):
    clock: Clock

    @property
    def cluster(self) -> ClusterBackend: ...

    def run_stages(self, stages: list[str], cancel: threading.Event) -> str: ...
    def submit_job(self, job: JobSpec) -> None: ...
    def cancel_job(self) -> str: ...
    def start_strategy(self, strategy: Strategy | None, spec: StrategySpec) -> str: ...
    def set_rate(self, rate: float) -> None: ...
    def fire_fault(self, fault: FaultSpec) -> None: ...
    def sample(self) -> JobSample | None: ...
    def tick(self) -> None: ...
    def job_failed(self) -> str: ...
    def close(self, stop_cluster: bool) -> None: ...


class ControlledPlatform:
    """What every platform shares: the scaling controller, ticked from the run loop on the platform's clock."""

    clock: Clock
    cluster: ClusterBackend

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.controller: ScalingController | None = None

    def start_strategy(self, strategy: Strategy | None, spec: StrategySpec) -> str:
        if strategy is None:
            return "no autoscaler (strategy none)"
        from scaletui.scaling.controller import ScalingController

        self.controller = ScalingController(self.cluster, strategy, spec, bus=self.engine.bus, clock=self.clock)

        def record(s: Session) -> None:
            s.strategy.name, s.strategy.dry_run, s.strategy.paused = strategy.name, spec.dry_run, False

        self.engine.store.update(record)
        mode = "dry-run, " if spec.dry_run else ""
        return f"{strategy.name} ({mode}every {spec.interval:.0f}s over a {spec.window:.0f}s window)"

    def tick(self) -> None:
        if self.controller is not None:
            self.controller.tick()

    def record_job(self) -> None:
        """Copy the cluster's job (id, state, operators, parallelism) into the session."""
        from scaletui.session.model import OperatorRecord

        info = self.cluster.job()
        taskmanagers = len([i for i in self.cluster.instances() if i.role == "taskmanager"])

        def change(s: Session) -> None:
            if info is None:
                s.job.job_id, s.job.state, s.job.operators = "", "none", []
            else:
                s.job.job_id, s.job.name, s.job.state = info.job_id, info.name, info.state
                s.job.operators = [
                    OperatorRecord(
                        name=o.name, vertex_id=o.vertex_id, parallelism=o.parallelism, max_parallelism=o.max_parallelism
                    )
                    for o in info.operators
                ]
            s.job.taskmanagers = taskmanagers

        self.engine.store.update(change)


class SimulatorPlatform(ControlledPlatform):
    """The simulated job on simulated time; timestamps start at the wall clock so results read like any run."""

    def __init__(self, engine: Engine, prepared: PreparedExperiment, realtime: bool = False) -> None:
        super().__init__(engine)
        from scaletui.cluster.simulator import SimulatedCluster
        from scaletui.cluster.simulator.model import NodeSpec, SimConfig, default_job

        job = prepared.experiment.job
        settings = prepared.platform.settings
        where = f"platform {prepared.platform.platform.name}: key settings"
        seed, nodes, delay_ms = settings.get("seed", 0), settings.get("nodes", 4), settings.get("delay_ms", 0.0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ConfigError(f"{where}.seed expected a whole number, got {seed!r}.")
        if not isinstance(nodes, int) or isinstance(nodes, bool) or not 1 <= nodes <= 256:
            raise ConfigError(f"{where}.nodes expected a whole number from 1 to 256, got {nodes!r}.")
        if not isinstance(delay_ms, (int, float)) or isinstance(delay_ms, bool) or delay_ms < 0:
            raise ConfigError(f"{where}.delay_ms expected a delay in ms of 0 or more, got {delay_ms!r}.")
        if prepared.experiment.faults:
            raise ConfigError(
                f"{prepared.path}: the simulator does not inject faults; remove [[faults]] or run on platform local."
            )
        config = SimConfig(
            operators=default_job(job.cost_ms, job.max_parallelism),
            nodes=tuple(NodeSpec(f"node-{i + 1}", delay_ms=float(delay_ms)) for i in range(nodes)),
            slots_per_taskmanager=job.slots_per_taskmanager,
            taskmanagers=min(job.taskmanagers, nodes),
            parallelism=dict(job.parallelism),
            seed=seed,
            max_taskmanagers=nodes,
        )
        self.sim = SimulatedCluster(config, prepared.profile, start=time.time(), speed=1.0 if realtime else None)
        self.cluster = self.sim
        self.clock = self.sim.clock

    def run_stages(self, stages: list[str], cancel: threading.Event) -> str:
        if stages:
            raise ConfigError("the simulator runs no stages; remove experiment.stages or pick a testbed platform.")
        return "no stages on the simulator"

    def submit_job(self, job: JobSpec) -> None:
        self.engine.store.update(lambda s: setattr(s.cluster, "backend", "simulator"))
        self.record_job()

    def cancel_job(self) -> str:
        raise UserError("The simulated job runs as long as its cluster.", "Stop the cluster with S instead.")

    def set_rate(self, rate: float) -> None:
        """The simulator reads the load profile itself, at every simulated step."""

    def set_profile(self, profile: LoadProfile) -> None:
        """A new load from now on: the simulator reads rates relative to its start, so shift the origin."""
        offset = self.sim.now - self.sim.started_at
        self.sim.set_load(lambda t: profile.rate_at(t - offset))

    def fire_fault(self, fault: FaultSpec) -> None:
        raise ConfigError("the simulator does not inject faults.")

    def sample(self) -> JobSample | None:
        return self.sim.sample()

    def job_failed(self) -> str:
        return ""

    def close(self, stop_cluster: bool) -> None:
        def change(s: Session) -> None:
            s.cluster.backend = "none"
            s.job.job_id, s.job.state, s.job.operators, s.job.taskmanagers = "", "none", [], 0

        self.engine.store.update(change)


def open_platform(
    engine: Engine,
    prepared: PreparedExperiment,
    cancel: threading.Event,
    realtime: bool = False,
    recovery: Literal["adopt", "stop"] = "stop",
) -> PlatformSession:
    """`realtime` makes the simulator keep pace with the wall clock, for watching it live in the TUI; `recovery`
    says what to do with a local cluster a crashed scaletui left running."""
    kind = prepared.platform.platform.type
    if kind == "simulator":
        return SimulatorPlatform(engine, prepared, realtime)
    if kind == "local":
        from scaletui.engine.local_platform import LocalPlatform

        return LocalPlatform(engine, prepared, cancel, recovery)
    from scaletui.engine.testbed_platform import TestbedPlatform

    return TestbedPlatform(engine, prepared, cancel)
