"""The simulator's capability set: a simulated job on simulated time, timestamps starting at the wall clock.

It has a cluster, metrics, rescaling, load control and a modelled latency matrix; no fault injection and no
playbook stages (said on screen). The job runs as long as its cluster, so there is no job control either.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.config.models import JobSpec, PlatformFile
from scaletui.engine.capabilities import Capabilities, Part
from scaletui.errors import ConfigError
from scaletui.events import EventBus, MetricsEvent
from scaletui.latency.matrix import LatencyMatrix
from scaletui.workload.profiles import LoadProfile

PARTS: frozenset[Part] = frozenset({"actuation", "load", "latency"})
"""What `open_simulator`'s set has, known before it opens: an experiment's steps are checked against it when the
file is prepared, before a run is recorded."""


@dataclass
class SimulatedLoad:
    """The simulated source reads the profile at every simulated step (finer than the loop's one-second step)."""

    sim: SimulatedCluster
    how: str = "the simulated source"

    def set_profile(self, profile: LoadProfile, origin: float) -> None:
        self.sim.set_load(lambda t: profile.rate_at(self.sim.engine.start + t - origin))

    def tick(self, now: float) -> None:
        """Nothing to push: the simulator pulls the rate itself."""


@dataclass
class ModelledLatency:
    """The simulator's node-to-node delays, as a round-trip matrix like the probes and Consul give."""

    sim: SimulatedCluster

    def matrix(self) -> LatencyMatrix:
        table = self.sim.latency_matrix() or {}
        nodes = tuple(sorted(table))
        rtt = {(a, b): 2 * float(table[a][b]) for a in nodes for b in nodes if a < b and b in table[a]}
        return LatencyMatrix(nodes=nodes, rtt_ms=rtt, ts=time.time(), source="simulator")


def _setting(platform: PlatformFile, key: str, default: object, ok: type | tuple[type, ...], what: str) -> object:
    value = platform.settings.get(key, default)
    if not isinstance(value, ok) or isinstance(value, bool):
        raise ConfigError(f"platform {platform.platform.name}: key settings.{key} expected {what}, got {value!r}.")
    return value


def open_simulator(
    platform: PlatformFile, job: JobSpec, profile: LoadProfile, bus: EventBus, realtime: bool
) -> Capabilities:
    """`realtime` keeps pace with the wall clock (times its `live_speed` setting: watching it live); otherwise an
    hour runs in seconds."""
    from scaletui.cluster.simulator.model import NodeSpec, SimConfig, default_job

    seed = _setting(platform, "seed", 0, int, "a whole number")
    nodes = _setting(platform, "nodes", 4, int, "a whole number from 1 to 256")
    delay_ms = _setting(platform, "delay_ms", 0.0, (int, float), "a delay in ms of 0 or more")
    speed = _setting(platform, "live_speed", 1.0, (int, float), "simulated seconds per real second, above 0")
    assert isinstance(seed, int) and isinstance(nodes, int) and isinstance(delay_ms, (int, float))
    assert isinstance(speed, (int, float))
    where = f"platform {platform.platform.name}: key settings"
    if not 0 < speed <= 3600:
        raise ConfigError(f"{where}.live_speed expected above 0 and at most 3600, got {speed}.")
    if not 1 <= nodes <= 256:
        raise ConfigError(f"{where}.nodes expected 1 to 256, got {nodes}.")
    if delay_ms < 0:
        raise ConfigError(f"{where}.delay_ms expected 0 or more.")
    config = SimConfig(
        operators=default_job(job.cost_ms, job.max_parallelism, job.wait_ms),
        nodes=tuple(NodeSpec(f"node-{i + 1}", delay_ms=float(delay_ms)) for i in range(nodes)),
        slots_per_taskmanager=job.slots_per_taskmanager,
        taskmanagers=min(job.taskmanagers, nodes),
        parallelism=dict(job.parallelism),
        seed=seed,
        max_taskmanagers=nodes,
    )
    sim = SimulatedCluster(
        config,
        profile,
        start=time.time(),
        speed=float(speed) if realtime else None,
        bus=bus,
        on_sample=lambda sample: bus.publish(MetricsEvent(ts=sample.ts, source="metrics", sample=sample)),
    )
    sim.publish_job("simulated job running")
    return Capabilities(
        kind="simulator",
        platform=platform.platform.name,
        backend="simulator",
        clock=sim.clock,
        cluster=sim,
        metrics=sim,
        actuation=sim,
        load=SimulatedLoad(sim),
        latency=ModelledLatency(sim),
        topology=sim,
        virtual_time=True,
    )
