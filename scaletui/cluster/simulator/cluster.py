"""The simulator as a cluster backend: the same protocol as local Flink, on a simulated job in simulated time.

Time only moves when someone sleeps on `clock` (the control loop does) or calls `advance`; a rescale or a
TaskManager start blocks for its simulated duration, as the real calls block until the change is in effect. With
`speed=None` simulated time runs as fast as the CPU allows (an hour in seconds); with `speed=60` a minute passes
per second, for watching it live. The model (`model`, `flow`) and the oracle live beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from scaletui.cluster.base import Instance, JobInfo, OperatorInfo, check_parallelism, check_taskmanagers
from scaletui.cluster.simulator.flow import FlowEngine
from scaletui.cluster.simulator.model import SimConfig
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.events import ActuationEvent, EventBus, JobChanged
from scaletui.metrics.model import JobSample

RateFn = Callable[[float], float]


class SimClock:
    """The simulator's clock: `sleep` advances the simulation (and waits real time when a speed is set)."""

    def __init__(self, cluster: SimulatedCluster, speed: float | None = None) -> None:
        self.cluster = cluster
        self.speed = speed

    def now(self) -> float:
        return self.cluster.now

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        if self.speed and cancel.wait(seconds / self.speed):
            return True
        self.cluster.advance(seconds)
        return cancel.is_set()


class SimulatedCluster:
    """A `ClusterBackend` over `FlowEngine`; `load` is a profile (anything with `rate_at`) or a function of time."""

    name = "simulator"

    def __init__(
        self,
        config: SimConfig,
        load: object,
        start: float = 0.0,
        speed: float | None = None,
        bus: EventBus | None = None,
        on_sample: Callable[[JobSample], None] | None = None,
    ) -> None:
        self.config = config
        self.bus = bus
        """When given, every actuation and job change is published here (as the local backend does on its bus)."""
        self.on_sample = on_sample
        """Called with each second's sample as simulated time passes (in the thread that advances it), as a
        metrics poller hands each sample on: samples taken during a blocking rescale are not lost."""
        self._lock = threading.RLock()
        self.engine = FlowEngine(config, self._rate_fn(load), start=start)
        self.clock = SimClock(self, speed)
        self.job_id = "sim-job"
        self._target = start
        self._never = threading.Event()
        self.started_at = start

    @staticmethod
    def _rate_fn(load: object) -> RateFn:
        rate_at = getattr(load, "rate_at", None)
        if callable(rate_at):
            return rate_at  # type: ignore[no-any-return]
        if callable(load):
            return load  # type: ignore[return-value]
        raise TypeError("load must be a LoadProfile or a function of time")

    # --- simulation control ----------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        with self._lock:
            return self.engine.t

    def advance(self, seconds: float) -> None:
        """Run the simulation `seconds` further, to the nearest step (counted in steps: epoch floats drift)."""
        with self._lock:
            e = self.engine
            self._target = max(self._target, e.t) + seconds
            last = round((self._target - e.start) / self.config.dt)
            while e.steps < last:
                before = e.last_sample
                e.step()
                if self.on_sample is not None and e.last_sample is not before and e.last_sample is not None:
                    self.on_sample(e.last_sample)

    def set_load(self, load: object) -> None:
        """Switch the load profile; it is read relative to the start of the run."""
        with self._lock:
            self.engine.rate_fn = self._rate_fn(load)

    def target_rate(self, at: float | None = None) -> float:
        with self._lock:
            t = self.engine.t if at is None else at
            return max(0.0, self.engine.rate_fn(t - self.engine.start))

    def oracle(self, rate: float | None = None) -> dict[str, int] | None:
        """Least parallelism per operator sustaining `rate` (default: the current target rate)."""
        return oracle_parallelism(self.config, self.target_rate() if rate is None else rate)

    # --- ClusterBackend ----------------------------------------------------------------------------------------

    def instances(self) -> list[Instance]:
        with self._lock:
            e, spt = self.engine, self.config.slots_per_taskmanager
            used = max(e.parallelism.values())
            out = [
                Instance(
                    "jobmanager", "jobmanager", "running", node=self.config.nodes[0].name, started_at=self.started_at
                )
            ]
            for i in range(e.taskmanagers):
                in_use = min(spt, max(0, used - i * spt)) if self.config.placement == "fill" else None
                out.append(
                    Instance(
                        f"taskmanager-{i + 1}",
                        "taskmanager",
                        "running",
                        node=self.config.node_of_taskmanager(i).name,
                        started_at=e.taskmanager_started[i],
                        slots_used=in_use,
                        slots_total=spt,
                    )
                )
            for j in range(len(e.pending_taskmanagers)):
                out.append(
                    Instance(
                        f"taskmanager-{e.taskmanagers + j + 1}",
                        "taskmanager",
                        "starting",
                        node=self.config.node_of_taskmanager(e.taskmanagers + j).name,
                        slots_total=spt,
                    )
                )
            return out

    def job(self) -> JobInfo:
        with self._lock:
            p = self.engine.parallelism
            state = "RUNNING" if self.engine.t >= self.engine.down_until else "RESTARTING"
            ops = tuple(
                OperatorInfo(op.name, op.name, p[op.name], op.max_parallelism, op.keyed_input, op.is_source)
                for op in self.engine.topo
            )
            return JobInfo(self.job_id, "simulated workload", state, ops)

    def sample(self) -> JobSample:
        with self._lock:
            sample = self.engine.last_sample
            return sample if sample is not None else JobSample(ts=self.engine.t, stale=True)

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        return self._rescale(parallelism, self.config.rescale_downtime_s, "parallelism")

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent:
        return self._rescale(parallelism, self.config.savepoint_downtime_s, "savepoint-restart")

    def _rescale(self, parallelism: dict[str, int], downtime: float, kind: str) -> ActuationEvent:
        with self._lock:
            check_parallelism({op.name: op.max_parallelism for op in self.config.operators}, parallelism)
            before = self.engine.parallelism
            started = self.engine.t
            self.engine.set_parallelism(parallelism, downtime)
            after = self.engine.parallelism
        self.clock.sleep(downtime, self._never)  # blocks like the real call, in simulated (or scaled) time
        short = {k: v for k, v in parallelism.items() if after.get(k) != v}
        message = f"waiting for slots: running {short and {k: after[k] for k in short}}" if short else ""
        return self._report(
            ActuationEvent(
                ts=self.now,
                source=self.name,
                kind=kind,  # type: ignore[arg-type]
                target=",".join(sorted(parallelism)),
                before={k: before[k] for k in parallelism},
                after=dict(parallelism),
                started=started,
                ended=self.now,
                downtime_s=downtime,
                message=message,
            )
        )

    def taskmanager_placement(self) -> dict[str, tuple[int, int]]:
        """Per node: the TaskManagers placed there (starting ones included) and how many more `set_taskmanagers`
        would still place there: the next ones go to the nodes in turn, up to the platform's `max_taskmanagers`."""
        with self._lock:
            planned = self.engine.taskmanagers + len(self.engine.pending_taskmanagers)
            placed = {node.name: 0 for node in self.config.nodes}
            room = dict(placed)
            for index in range(self.config.max_taskmanagers):
                (placed if index < planned else room)[self.config.node_of_taskmanager(index).name] += 1
            return {name: (placed[name], room[name]) for name in placed}

    @property
    def taskmanager_limit(self) -> int:
        """The most TaskManagers the simulated nodes hold."""
        return self.config.max_taskmanagers

    def set_taskmanagers(self, count: int) -> ActuationEvent:
        check_taskmanagers(count, self.taskmanager_limit)
        with self._lock:
            before, started = self.engine.taskmanagers, self.engine.t
            restarts = self.engine.restarts
            self.engine.request_taskmanagers(count)
            wait = self.config.taskmanager_start_s if count > before else 0.0
        if wait:
            self.clock.sleep(wait + self.config.dt, self._never)
        with self._lock:
            downtime = self.config.rescale_downtime_s if self.engine.restarts > restarts else 0.0
        return self._report(
            ActuationEvent(
                ts=self.now,
                source=self.name,
                kind="taskmanagers",
                target="taskmanagers",
                before=before,
                after=count,
                started=started,
                ended=self.now,
                downtime_s=downtime,
            )
        )

    def _report(self, event: ActuationEvent) -> ActuationEvent:
        if self.bus is not None:
            self.bus.publish(event)
            self.publish_job()
        return event

    def publish_job(self, message: str = "") -> None:
        """Publish the simulated job's state, as a real backend does after each change."""
        if self.bus is None:
            return
        info = self.job()
        self.bus.publish(
            JobChanged(
                ts=self.now,
                source=self.name,
                job_id=info.job_id,
                state=info.state,
                parallelism=info.parallelism,
                message=message,
                info=info,
                taskmanagers=self.engine.taskmanagers,
            )
        )

    def latest(self) -> JobSample:
        """The MetricsSource view of `sample`."""
        return self.sample()

    # --- TopologySource ----------------------------------------------------------------------------------------

    def edges(self) -> dict[str, tuple[str, ...]]:
        return {op.name: op.upstream for op in self.config.operators}

    def slot_nodes(self) -> tuple[str, ...]:
        return self.config.slot_nodes(self.config.max_taskmanagers)

    def latency_matrix(self) -> dict[str, dict[str, float]] | None:
        return self.config.latency_matrix()

    def placement(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            return self.engine.placement()
