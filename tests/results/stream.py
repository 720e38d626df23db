"""A small, realistic event stream with numbers a person can check by hand (see EXPECTED).

Ten metrics samples one second apart: target 1000 rec/s; achieved 1000, except 800 during a 2 s network-delay fault
(steps 6 and 7) when p99 latency jumps from 30 to 120 ms; the strategy raises `map` from 2 to 3 at step 6.2; a
second decision at step 9 is not applied. 2 TaskManagers with 2 slots each; slots in use = max parallelism.
"""

from __future__ import annotations

from pathlib import Path

from scaletui.events import (
    ActuationEvent,
    DecisionEvent,
    Event,
    FaultEvent,
    JobChanged,
    MetricsEvent,
    Notice,
    StageStateChanged,
    StageTask,
)
from scaletui.metrics.model import JobSample, NodeSample, OperatorSample

EXPERIMENT_TOML = """\
[experiment]
name = "step-delay"
duration = "10s"

[job]
taskmanagers = 2

[load]
profile = "constant"
rate = 1000

[strategy]
name = "{strategy}"

[[faults]]
at = "5s"
kind = "delay"
duration = "2s"
targets = ["role:taskmanager"]

[slo]
p99_latency_ms = 100
min_fraction = 0.9
"""

# Values from the stream below, computed by hand.
EXPECTED = {
    "target_rate": 1000.0,
    "achieved_rate": (8 * 1000 + 2 * 800) / 10,  # 960
    "p50_ms": 10.0,
    "p95_ms": 20.0,
    "p99_ms": (8 * 30 + 2 * 120) / 10,  # 48
    "slo_violation_s": 2.0,  # steps 6 and 7 above 100 ms, one second each
    "slot_seconds": 6 * 2 + 4 * 3,  # map at 2 for 6 steps, at 3 for 4 steps: 24
    "rescales": 1.0,
    "decisions_applied": 1.0,
    "faults": 1.0,
}


def write_experiment(path: Path, strategy: str = "transscale") -> Path:
    path.write_text(EXPERIMENT_TOML.format(strategy=strategy), encoding="utf-8")
    return path


def sample(start: float, step: int, *, slow: bool = False, map_parallelism: int = 2) -> JobSample:
    achieved = 800.0 if slow else 1000.0
    operators = {
        "source": OperatorSample("source", 1, 32, None, 1000.0, 100.0, 0.0, 900.0, is_source=True),
        "map": OperatorSample("map", map_parallelism, 32, achieved, achieved, 700.0, 50.0 if slow else 0.0, 250.0),
        "sink": OperatorSample("sink", 1, 32, achieved, None, 50.0, 0.0, 950.0),
    }
    nodes = {f"tm-{i}": NodeSample(f"tm-{i}", 0.5 + 0.1 * i, 2.0, 300_000_000, 1_073_741_824) for i in (1, 2)}
    return JobSample(
        ts=start + step,
        operators=operators,
        target_rate=1000.0,
        achieved_rate=achieved,
        backlog=2000.0 if slow else 0.0,
        latency_ms={"p50": 10.0, "p95": 20.0, "p99": 120.0 if slow else 30.0, "max": None},
        taskmanagers=2,
        total_slots=4,
        free_slots=4 - map_parallelism,
        nodes=nodes,
    )


def events(start: float, strategy: str = "transscale", slow_factor: float = 1.0, steps: int = 10) -> list[Event]:
    """The run's events in publication order; `slow_factor` scales the fault's effect for a second, worse run;
    `steps` other than 10 makes a run of another length (EXPECTED holds for 10)."""
    out: list[Event] = [
        StageStateChanged(ts=start + 0.1, source="stages", stage="application", state="running"),
        StageTask(
            ts=start + 0.2,
            source="stages",
            stage="application",
            run_id="r1",
            play="flink",
            task="deploy",
            host="localhost",
            status="ok",
            duration_s=0.1,
            tasks_done=1,
            tasks_total=1,
        ),
        StageStateChanged(ts=start + 0.3, source="stages", stage="application", state="done"),
        JobChanged(
            ts=start + 0.5,
            source="cluster",
            job_id="j1",
            state="RUNNING",
            parallelism={"source": 1, "map": 2, "sink": 1},
        ),
    ]
    for step in range(1, steps + 1):
        slow = step in (6, 7)
        s = sample(start, step, slow=slow, map_parallelism=3 if step >= 7 else 2)
        if slow and slow_factor != 1.0:
            s = JobSample(**{**s.__dict__, "achieved_rate": 1000.0 - 200.0 * slow_factor})
        out.append(MetricsEvent(ts=s.ts, source="metrics", sample=s))
        if step == 5:
            out.append(
                FaultEvent(
                    ts=start + 5.5,
                    source="chaos",
                    fault_id="f1",
                    kind="delay",
                    action="injected",
                    targets=("tm-1", "tm-2"),
                    expires=start + 7.5,
                    message="delay 100ms",
                    params={"latency_ms": 100, "mode": "all"},
                    backend="local",
                )
            )
        if step == 6:
            out.append(
                DecisionEvent(
                    ts=start + 6.2,
                    source="scaling",
                    strategy=strategy,
                    parallelism={"source": 1, "map": 3, "sink": 1},
                    taskmanagers=2,
                    reason="map busy 70% > 60%",
                    applied=True,
                    inputs={"busy": {"map": 700.0}},
                )
            )
            out.append(
                ActuationEvent(
                    ts=start + 6.3,
                    source="cluster",
                    kind="parallelism",
                    target="map",
                    before=2,
                    after=3,
                    started=start + 6.3,
                )
            )
            out.append(
                ActuationEvent(
                    ts=start + 6.8,
                    source="cluster",
                    kind="parallelism",
                    target="map",
                    before=2,
                    after=3,
                    started=start + 6.3,
                    ended=start + 6.8,
                    downtime_s=0.5,
                )
            )
        if step == 7:
            out.append(
                FaultEvent(
                    ts=start + 7.5,
                    source="chaos",
                    fault_id="f1",
                    kind="delay",
                    action="reverted",
                    targets=("tm-1", "tm-2"),
                )
            )
        if step == 9:
            out.append(
                DecisionEvent(
                    ts=start + 9.0,
                    source="scaling",
                    strategy=strategy,
                    parallelism={"source": 1, "map": 3, "sink": 1},
                    taskmanagers=2,
                    reason="within bounds",
                    applied=False,
                )
            )
    out.append(Notice(ts=start + steps + 0.5, source="engine", message="run finished"))
    return out
