"""The run loop keeps the timeline's promises when an actuation is slow.

A TaskManager start on a loaded testbed took 94 s; the loop applied the rescale, then found its duration passed and
ended, so the load step due before the end was never applied (a loaded CI run of the contract suite saw it).

On a wall clock the autoscaler's actuation runs beside the loop: a key (or a fault, a load step) due meanwhile acts at
once, not a minute later when a TaskManager has started; a change by hand and the run's end wait for it. Shown on the
simulator run on the wall clock (`WallDrivenClock`), where a TaskManager start takes real seconds."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import Future

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.config.models import (
    FaultStep,
    JobSpec,
    LoadSpec,
    LoadStep,
    PlatformFile,
    RescaleStep,
    StrategySpec,
    TaskManagersStep,
    TimelineStep,
)
from scaletui.engine.faults import FaultControl
from scaletui.engine.run import Run
from scaletui.engine.run_plan import RunPlan
from scaletui.events import ActuationEvent, DecisionEvent, Event, EventBus, FaultEvent, LoadChanged, Notice
from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy
from scaletui.session.store import SessionStore
from scaletui.workload.profiles import ConstantProfile
from tests.chaos.journal import JournalFaults
from tests.chaos.realenv import wait_for
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


TM_START_S = 4.0
"""How long the autoscaler's TaskManager start takes here: long enough for a key pressed meanwhile to be seen acting
before it ends, even on a loaded machine (an intent is applied within a second)."""


class WallDrivenClock:
    """The simulator on the wall clock, as a real platform's time runs: simulated time catches up with real time when
    it is read, and a sleep only waits. The run loop then takes the wall-clock path (`virtual_time` False)."""

    def __init__(self, sim: SimulatedCluster) -> None:
        self.sim = sim
        self.origin, self.began = sim.now, time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            behind = self.origin + (time.monotonic() - self.began) - self.sim.now
            if behind > 0:
                self.sim.advance(behind)
            return self.sim.now

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        return cancel.wait(max(0.0, seconds))


class OneMoreTaskManager(Strategy):
    """Asks for a third TaskManager once: the slow actuation under test."""

    name = "one-more-taskmanager"

    @dataclasses.dataclass(frozen=True)
    class Params:
        pass

    def decide(self, obs: Observation) -> Decision:
        return Decision(dict(obs.parallelism), 3, "one TaskManager more")


@dataclasses.dataclass
class WallRun:
    run: Run
    thread: threading.Thread
    events: list[Event]
    calls: list[tuple[str, float, float]]
    """Each actuation call on the platform: what, and when it began and ended (monotonic)."""

    def first(self, kind: type, match=lambda e: True):  # type: ignore[no-untyped-def]
        return next((e for e in list(self.events) if isinstance(e, kind) and match(e)), None)


def wall_run(tmp_path, autoscaler: bool = True, on_step=lambda step: None, steps=()) -> WallRun:  # type: ignore[no-untyped-def]
    """A live run (no end) on the simulator driven by the wall clock, where a TaskManager takes TM_START_S to start
    (the autoscaler asks for one, unless `autoscaler` is False), the loop in its own thread as the app runs it;
    faults go to an in-memory backend. `on_step` hears the intents as the live session records them; `steps` is the
    plan's timeline."""
    from scaletui.engine.simulator_set import open_simulator

    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    caps = open_simulator(PLATFORM, JOB, ConstantProfile(150.0), bus, realtime=True)
    sim = caps.cluster
    assert isinstance(sim, SimulatedCluster)
    sim.config = dataclasses.replace(sim.config, taskmanager_start_s=TM_START_S)
    sim.engine.config = sim.config
    clock = WallDrivenClock(sim)
    sim.clock = clock  # type: ignore[assignment]
    calls: list[tuple[str, float, float]] = []

    class Timed:
        def set_taskmanagers(self, count: int) -> ActuationEvent:
            began = time.monotonic()
            try:
                return sim.set_taskmanagers(count)
            finally:
                calls.append((f"taskmanagers {count}", began, time.monotonic()))

        def __getattr__(self, name: str) -> object:
            return getattr(sim, name)

    backend = JournalFaults()
    caps = dataclasses.replace(caps, clock=clock, actuation=Timed(), virtual_time=False, faults=(backend,))  # type: ignore[arg-type]
    spec = StrategySpec(name=OneMoreTaskManager.name, interval=1, window=1, cooldown=600)
    plan = RunPlan(
        name="wall",
        duration=None,
        job=JOB,
        load=LoadSpec.model_validate({"profile": "constant", "rate": 150}),
        profile=ConstantProfile(150.0),
        strategy=spec if autoscaler else StrategySpec(),
        initial_strategy=OneMoreTaskManager() if autoscaler else None,
        steps=tuple(steps),
        submit_job=True,
    )
    faults = FaultControl(journal(SessionStore.open(tmp_path / "s")), bus)
    faults.attach("simulator", (backend,), sim.instances)
    run = Run(caps, plan, bus, faults, _no_strategy, threading.Event(), on_step)
    run.begin()
    thread = threading.Thread(target=run.run, name="run-loop", daemon=True)
    thread.start()
    return WallRun(run, thread, events, calls)


def _no_strategy(spec: StrategySpec) -> Strategy:
    raise AssertionError("no strategy is chosen in this run")


def _acting(wr: WallRun) -> bool:
    status = wr.run.strategy_status()
    return status is not None and status.acting.startswith("rescaling")


def test_a_key_acts_at_once_while_the_autoscaler_starts_a_taskmanager_and_a_hand_change_waits_for_it(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    wr = wall_run(tmp_path)
    try:
        assert wait_for(lambda: _acting(wr), timeout=30), "the autoscaler never started its TaskManager"
        load: Future[str] = wr.run.submit(
            LoadStep(at=0, do="load", load=LoadSpec.model_validate({"profile": "constant", "rate": 170}))
        )
        said = load.result(timeout=TM_START_S)
        status = wr.run.strategy_status()
        assert status is not None and status.acting_for is not None and 0 <= status.acting_for < TM_START_S * 2
        assert said.startswith("Load: constant") and wr.run.autoscaler.actuation is not None
        assert wr.run.autoscaler.actuation.busy(), "the load step waited for the TaskManager start"
        assert not wr.calls, "the TaskManager start ended before the load step was applied"

        by_hand = wr.run.submit(TaskManagersStep(at=0, do="taskmanagers", count=2))
        assert by_hand.result(timeout=60) == "TaskManagers: 3 -> 2."
        (auto, hand) = wr.calls
        assert auto[0] == "taskmanagers 3" and hand[0] == "taskmanagers 2"
        assert hand[1] >= auto[2], f"the change by hand overlapped the autoscaler's: {wr.calls}"
        assert wr.first(Notice, lambda e: "Waiting for the autoscaler (rescaling TaskManagers 2->3) to finish "
                        "before setting the TaskManagers to 2." in e.message)  # fmt: skip
        shown = wr.first(DecisionEvent)
        assert shown is not None and shown.in_progress, "the decision shows while its TaskManager starts"
        decision = wr.first(DecisionEvent, lambda e: not e.in_progress)
        assert decision is not None and decision.applied and decision.rescale_s >= TM_START_S * 0.9
        assert decision.ts == shown.ts
        status = wr.run.strategy_status()
        assert status is not None and status.paused, "a change by hand pauses the autoscaler"
        assert not status.acting and status.acting_for is None
    finally:
        wr.run.stop()
        wr.thread.join(60)
        wr.run.caps.close(stop_cluster=True)
    assert not wr.thread.is_alive()


def test_the_run_ends_only_after_the_autoscalers_actuation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    wr = wall_run(tmp_path)
    try:
        assert wait_for(lambda: _acting(wr), timeout=30), "the autoscaler never started its TaskManager"
        wr.run.stop()
        wr.thread.join(60)
        assert not wr.thread.is_alive()
        assert [c[0] for c in wr.calls] == ["taskmanagers 3"], "the run returned before the TaskManager started"
        assert wr.first(Notice, lambda e: "to finish before the run ends" in e.message)
        decision = wr.first(DecisionEvent, lambda e: not e.in_progress)
        assert decision is not None and decision.applied
        assert len(wr.run.caps.cluster.instances()) == 1 + 3  # the JobManager and three TaskManagers
    finally:
        wr.run.stop()
        wr.run.caps.close(stop_cluster=True)


def test_a_fault_fired_while_a_taskmanager_is_added_by_hand_is_injected_at_once_and_recorded_then(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """A `+` took a minute on a loaded machine, and a fault fired meanwhile waited for it silently; the live
    timeline recorded the fault at the time the `+` began, so its replay fired it a minute early."""
    recorded: list[TimelineStep] = []
    wr = wall_run(tmp_path, autoscaler=False, on_step=recorded.append)
    try:
        added = wr.run.submit(TaskManagersStep(at=0, do="taskmanagers", count=3))
        sim = wr.run.caps.cluster
        assert isinstance(sim, SimulatedCluster)
        assert wait_for(lambda: sim.engine.pending_taskmanagers, timeout=30), "the TaskManager start never began"
        began = wr.run.elapsed()
        assert wait_for(lambda: wr.run.elapsed() > began, timeout=TM_START_S), "the run's clock stood still"
        asked_at = wr.run.elapsed()
        fired = wr.run.submit(FaultStep(at=0, do="fault", kind="pause", targets=["taskmanager-1"], duration=60))
        assert fired.result(timeout=TM_START_S).startswith("Fault "), "the fault waited for the TaskManager start"
        assert wr.first(FaultEvent, lambda e: e.action == "injected")
        assert not wr.calls and not added.done(), "the TaskManager start ended before the fault was injected"
        assert added.result(timeout=60) == "TaskManagers: 2 -> 3."
    finally:
        wr.run.stop()
        wr.thread.join(60)
        wr.run.caps.close(stop_cluster=True)
    fault, taskmanagers = sorted(recorded, key=lambda s: s.do)
    assert isinstance(fault, FaultStep) and isinstance(taskmanagers, TaskManagersStep)
    assert taskmanagers.at < round(asked_at, 3) <= fault.at < asked_at + TM_START_S / 2, (
        taskmanagers.at,
        asked_at,
        fault.at,
    )


def test_the_script_printer_says_a_timeline_fault_once_and_its_other_steps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Review 33 #13: `--script` printed a timeline's fault twice, its FaultEvent and the step's notice; the printer
    now leaves out a notice the run marks as restating an event, not one whose wording looks like a fault's."""
    import io

    from scaletui.headless.printer import ProgressPrinter

    fault = FaultStep(at=0, do="fault", kind="pause", targets=["taskmanager-1"], duration=60)
    load = LoadStep(at=0, do="load", load=LoadSpec.model_validate({"profile": "constant", "rate": 200}))
    wr = wall_run(tmp_path, autoscaler=False, steps=[fault, load])
    try:
        said = lambda: [e for e in list(wr.events) if isinstance(e, Notice) and e.source == "timeline"]  # noqa: E731
        assert wait_for(lambda: len(said()) == 2, timeout=60), said()
    finally:
        wr.run.stop()
        wr.thread.join(60)
        wr.run.caps.close(stop_cluster=True)
    by_step = {n.message.split(": ", 2)[1]: n for n in said()}
    assert by_step["Fault " + next(e.fault_id for e in wr.events if isinstance(e, FaultEvent))].restates
    assert not by_step["Load"].restates, by_step
    out = io.StringIO()
    printer = ProgressPrinter(stream=out, tty=False)
    for event in wr.events:
        printer(event)
    lines = out.getvalue().splitlines()
    assert sum("pause on taskmanager-1" in line for line in lines) == 1, lines
    assert any(line.startswith("[info] 0s: Load") for line in lines), lines
