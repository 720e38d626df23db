"""The run loop keeps the timeline's promises when an actuation is slow.

A TaskManager start on a loaded testbed took 94 s; the loop applied the rescale, then found its duration passed and
ended, so the load step due before the end was never applied (a loaded CI run of the contract suite saw it)."""

from __future__ import annotations

import dataclasses
import threading
import time

from scaletui.config.models import JobSpec, LoadSpec, LoadStep, PlatformFile, RescaleStep, StrategySpec
from scaletui.engine.faults import FaultControl
from scaletui.engine.run import Run, RunPlan
from scaletui.events import EventBus, LoadChanged
from scaletui.scaling.strategy import Strategy
from scaletui.session.store import SessionStore
from scaletui.workload.profiles import ConstantProfile
from tests.recording import journal

PLATFORM = PlatformFile.model_validate({"platform": {"name": "simulator", "type": "simulator"}})
JOB = JobSpec(taskmanagers=2, slots_per_taskmanager=2, parallelism={"expensive": 1})
SLOW_S = 1.5


class SlowActuation:
    """The simulator's actuation, taking as long as a TaskManager start takes on a loaded machine."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def set_parallelism(self, parallelism: dict[str, int]):  # type: ignore[no-untyped-def]
        time.sleep(SLOW_S)  # the slowness under test, not a synchronisation
        return self.inner.set_parallelism(parallelism)  # type: ignore[attr-defined]


def test_a_step_due_before_the_end_runs_even_when_a_slow_one_overran_the_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scaletui.engine.simulator_set import open_simulator

    bus = EventBus()
    caps = open_simulator(PLATFORM, JOB, ConstantProfile(150.0), bus, realtime=True)
    caps = dataclasses.replace(caps, actuation=SlowActuation(caps.actuation))  # type: ignore[arg-type]
    loads: list[LoadChanged] = []
    bus.subscribe(loads.append, LoadChanged)  # type: ignore[arg-type]
    plan = RunPlan(
        name="slow",
        duration=1.0,
        job=JOB,
        load=LoadSpec.model_validate({"profile": "constant", "rate": 150}),
        profile=ConstantProfile(150.0),
        strategy=StrategySpec(),
        initial_strategy=None,
        steps=(
            RescaleStep(at=0.2, do="rescale", operator="expensive", parallelism=2),
            LoadStep(at=0.5, do="load", load=LoadSpec.model_validate({"profile": "constant", "rate": 170})),
        ),
        submit_job=True,
    )

    def no_strategy(spec: StrategySpec) -> Strategy:
        raise AssertionError("no strategy in this plan")

    run = Run(caps, plan, bus, FaultControl(journal(SessionStore.open(tmp_path / "s")), bus), no_strategy,
              threading.Event())  # fmt: skip
    try:
        run.begin()
        run.run()
        assert run.elapsed() >= SLOW_S
        job = caps.cluster.job()
        assert job is not None and job.parallelism["expensive"] == 2
        assert [e.spec.get("rate") for e in loads][-1:] == [170], loads
    finally:
        caps.close(stop_cluster=True)
