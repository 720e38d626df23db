"""The --live part of benchmarks/scaling.py: a short step load on real local Flink, the same control loop.

One local cluster (2 TaskManagers x 2 slots on loopback) runs the workload job; for each strategy the job goes back
to parallelism 1, the load steps from --live-low to --live-high records/s after a minute, and the loop (wall clock)
decides every 10 s over a 10 s window. The oracle is not known on real hardware: "oracle" here is the simulator's
estimate for this machine (`sim.model.local_config`), shown as such.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from scaletui.cluster.simulator.model import local_config
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.config.models import JobSpec, StrategySpec
from scaletui.events import DecisionEvent, EventBus
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.registry import load_strategy
from scaletui.workload.profiles import StepProfile


@dataclass
class LiveRun:
    strategy: str
    p99: list[float | None] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    achieved: list[float | None] = field(default_factory=list)
    decisions: list[DecisionEvent] = field(default_factory=list)


def run_live(
    strategies: list[str], conf_dir: Path, cache: str, low: float, high: float, seconds: float
) -> list[LiveRun]:
    from scaletui.cluster.standalone.backend import LocalClusterBackend
    from scaletui.flink.cluster_config import ClusterSettings

    spec = JobSpec.model_validate({"taskmanagers": 2, "slots_per_taskmanager": 2, "window_s": 1.0})
    runs: list[LiveRun] = []
    with tempfile.TemporaryDirectory(prefix="scaletui-live-") as tmp:
        bus = EventBus()
        backend = LocalClusterBackend.create(cache, Path(tmp), bus, settings=ClusterSettings(slots_per_taskmanager=2))
        try:
            backend.start(2)
            backend.submit_job(spec, rate=low)
            for name in strategies:
                runs.append(_one(backend, bus, name, conf_dir, low, high, seconds))
        finally:
            backend.stop()
    return runs


def _one(backend, bus: EventBus, name: str, conf_dir: Path, low: float, high: float, seconds: float) -> LiveRun:  # type: ignore[no-untyped-def]
    info = backend.job()
    reset = {op.name: 1 for op in info.operators if op.parallelism != 1} if info else {}
    if reset:
        backend.set_parallelism(reset)
    backend.set_target_rate(low)
    _wait_fresh(backend, 20.0)
    run = LiveRun(name)
    unsubscribe = bus.subscribe(lambda e: run.decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    spec = StrategySpec.model_validate(
        {"name": name, "interval": 10, "window": 10, "cooldown": 20, "max_parallelism": 4, "max_taskmanagers": 2,
         "max_slots": 4}
    )  # fmt: skip
    controller = ScalingController(backend, load_strategy(spec, conf_dir), spec, bus)
    profile = StepProfile(low, ((60.0, high),))
    start = time.monotonic()
    cancel = threading.Event()
    try:
        while (elapsed := time.monotonic() - start) < seconds:
            backend.set_target_rate(profile.rate_at(elapsed))
            controller.tick()
            sample = backend.sample()
            run.p99.append(sample.latency_ms.get("p99"))
            run.achieved.append(sample.achieved_rate)
            run.slots.append(max(sample.parallelism.values(), default=1))
            cancel.wait(max(0.0, 1.0 - (time.monotonic() - start - elapsed)))
    finally:
        unsubscribe()
    return run


def _wait_fresh(backend, seconds: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        s = backend.sample()
        if not s.stale and s.achieved_rate:
            break


def live_table(runs: list[LiveRun], high: float, slo_ms: float) -> str:
    oracle = oracle_parallelism(local_config(), high) or {}
    lines = [
        f"live: local Flink, step to {high:.0f} r/s; simulator's oracle estimate for this machine: "
        f"expensive={oracle.get('expensive', '?')}",
        f"{'strategy':<16}{'SLO-viol s':>11}{'slot-s':>8}{'rescales':>9}{'final p(expensive)':>20}  last reason",
    ]
    for run in runs:
        applied = [d for d in run.decisions if d.applied]
        viol = sum(1 for v in run.p99 if v is None or v > slo_ms)
        final = applied[-1].parallelism.get("expensive", 1) if applied else 1
        reason = run.decisions[-1].reason[:70] if run.decisions else "-"
        lines.append(f"{run.strategy:<16}{viol:>11}{sum(run.slots):>8}{len(applied):>9}{final:>20}  {reason}")
    return "\n".join(lines)
