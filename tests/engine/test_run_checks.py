"""What the run loop refuses, and when: a rescale of an operator the job lacks is refused before it pauses the
autoscaler (a `:rescale` typo must not stop autoscaling), in words that fit the app and `--script` alike; a plan
needing what the platform lacks is a configuration error (exit code 2) in one plain sentence."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.config.models import (
    FaultStep,
    JobSpec,
    LoadSpec,
    PlatformFile,
    RescaleStep,
    StrategySpec,
    TaskManagersStep,
)
from scaletui.engine.capabilities import Capabilities
from scaletui.engine.faults import FaultControl
from scaletui.engine.run import Run
from scaletui.engine.run_plan import RunPlan
from scaletui.errors import ConfigError, UserError
from scaletui.events import EventBus, Notice
from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy
from scaletui.session.store import SessionStore
from scaletui.workload.profiles import ConstantProfile
from tests.recording import journal

PLATFORM = PlatformFile.model_validate({"platform": {"name": "simulator", "type": "simulator"}})
JOB = JobSpec(taskmanagers=2, slots_per_taskmanager=2, parallelism={"expensive": 1})
OPERATORS = "source, parse, expensive, window, sink."


class Hold(Strategy):
    name = "hold"

    @dataclasses.dataclass(frozen=True)
    class Params:
        pass

    def decide(self, obs: Observation) -> Decision:
        return Decision(dict(obs.parallelism), None, "hold")


@pytest.fixture
def caps() -> Iterator[Capabilities]:
    from scaletui.engine.simulator_set import open_simulator

    opened = open_simulator(PLATFORM, JOB, ConstantProfile(150.0), EventBus(), realtime=False)
    try:
        yield opened
    finally:
        opened.close(stop_cluster=True)


def make_run(caps: Capabilities, tmp_path: Path, *steps: object, bus: EventBus | None = None) -> Run:
    plan = RunPlan(
        name="checks",
        duration=60.0,
        job=JOB,
        load=LoadSpec.model_validate({"profile": "constant", "rate": 150}),
        profile=ConstantProfile(150.0),
        strategy=StrategySpec(name="hold"),
        initial_strategy=Hold(),
        steps=tuple(steps),  # type: ignore[arg-type]
    )
    faults = FaultControl(journal(SessionStore.open(tmp_path / "s")), EventBus())

    def no_strategy(spec: StrategySpec) -> Strategy:
        raise AssertionError("no strategy is chosen here")

    return Run(caps, plan, bus or EventBus(), faults, no_strategy, threading.Event())


def test_a_rescale_the_job_cannot_take_is_refused_before_the_autoscaler_pauses(
    caps: Capabilities, tmp_path: Path
) -> None:
    """An unknown operator, or a parallelism outside 1..its max parallelism (`:rescale expensive 99` paused ds2
    and said "expensive set to 99 by hand" beside the refusal)."""
    run = make_run(caps, tmp_path)
    run.begin()
    with pytest.raises(UserError) as info:
        run.apply(RescaleStep(do="rescale", operator="expensiv", parallelism=4), "hand").result()
    status = run.strategy_status()
    assert status is not None and not status.paused, "a refused rescale paused the autoscaler"
    assert info.value.message == "The job has no operator named 'expensiv'."
    assert info.value.hint == f"Its operators: {OPERATORS} The scaling loop was not paused."
    for parallelism in (99, 33):
        with pytest.raises(UserError) as info:
            run.apply(RescaleStep(do="rescale", operator="expensive", parallelism=parallelism), "hand").result()
        status = run.strategy_status()
        assert status is not None and not status.paused, f"a refused rescale to {parallelism} paused the autoscaler"
        assert info.value.message == f"Parallelism {parallelism} for expensive is outside 1..32 (its max parallelism)."


def test_a_taskmanager_count_the_platform_refuses_never_pauses_the_loop(caps: Capabilities, tmp_path: Path) -> None:
    """Review 37 F5: more TaskManagers than the simulated nodes hold paused the autoscaler while it was tried, and the
    refusal took the pause back with a plain resume, which restarted the loop's window and said "Scaling loop
    resumed.". The platform's limit is checked before the pause: the refusal says the loop was not paused, and no
    pause or resume happens. With the loop already paused, the refusal leaves it so and does not claim otherwise."""
    bus = EventBus()
    notices: list[str] = []
    bus.subscribe(lambda e: notices.append(e.message), Notice)  # type: ignore[attr-defined]
    run = make_run(caps, tmp_path, bus=bus)
    run.begin()
    with pytest.raises(UserError) as info:
        run.apply(TaskManagersStep(do="taskmanagers", count=99), "hand").result()
    assert str(info.value) == (
        "TaskManager count 99 is outside 1..4 (the most this platform runs). Choose one from 1 to 4; nothing was "
        "changed. The scaling loop was not paused."
    )
    status = run.strategy_status()
    assert status is not None and not status.paused, "a refused TaskManager count paused the autoscaler"
    assert not [n for n in notices if n.startswith("Scaling loop")], notices

    run.autoscaler.pause(True)
    with pytest.raises(UserError) as info:
        run.apply(TaskManagersStep(do="taskmanagers", count=99), "hand").result()
    assert "not paused" not in str(info.value), info.value
    status = run.strategy_status()
    assert status is not None and status.paused, "the refusal resumed a pause the user made"
    assert notices == ["Scaling loop paused: paused by the user."], notices
    assert (
        run.apply(RescaleStep(do="rescale", operator="expensive", parallelism=2), "hand").result()
        == "expensive: 1 -> 2."
    )
    run.autoscaler.pause(False)
    assert run.apply(TaskManagersStep(do="taskmanagers", count=2), "hand").result() == "TaskManagers: 2 -> 2."
    status = run.strategy_status()
    assert status is not None and status.paused, "a change by hand the platform takes pauses the autoscaler"


def test_a_rescale_with_no_job_is_refused_before_the_autoscaler_pauses(caps: Capabilities, tmp_path: Path) -> None:
    """With no job (cancelled on local Flink or Kubernetes), the backend's own "no job" refusal came after the pause;
    it is checked first, as the operator and its range are."""

    class NoJob:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def job(self) -> None:
            return None

    run = make_run(dataclasses.replace(caps, cluster=NoJob(caps.cluster)), tmp_path)  # type: ignore[arg-type]
    run.begin()
    with pytest.raises(UserError) as info:
        run.autoscaler.rescale_by_hand("expensive", 2).result()
    assert info.value.message == "No job runs, so there is nothing to rescale.", info.value
    status = run.strategy_status()
    assert status is not None and not status.paused, "a rescale with no job paused the autoscaler"


def test_a_plan_needing_what_the_platform_lacks_is_a_configuration_error(caps: Capabilities, tmp_path: Path) -> None:
    step = FaultStep(at=120, do="fault", kind="kill", duration=5)
    with pytest.raises(ConfigError) as info:
        make_run(caps, tmp_path, step)
    assert info.value.exit_code == 2
    assert info.value.message == (
        "The plan's fault step at 120s needs fault injection, which the simulator platform lacks."
    )


def test_a_failed_step_is_worded_by_one_helper_the_record_without_the_hint(caps: Capabilities, tmp_path: Path) -> None:
    """Review 35 F20: the step's record (StepTaken) and the timeline's error (ErrorEvent) each worded a failure
    themselves; `step_failure` words it once, the error keeping the hint and the record the sentence alone."""
    from scaletui.config.models import StrategyStep
    from scaletui.engine.run import step_failure
    from scaletui.events import ErrorEvent, Event, StepTaken

    assert step_failure(UserError("No such thing.", "Try another.")) == ("No such thing.", "Try another.")
    assert step_failure(RuntimeError("disk full")) == ("disk full.", "")
    typo = RescaleStep(at=0, do="rescale", operator="expensiv", parallelism=4)
    run = make_run(caps, tmp_path, typo, StrategyStep(at=0, do="strategy", name="ds2"))
    seen: list[Event] = []
    run.bus.subscribe(seen.append)
    run.begin()
    run._apply_due(0.0)
    errors = [(e.message, e.hint) for e in seen if isinstance(e, ErrorEvent)]
    assert errors == [
        (
            "Timeline rescale at 0s: The job has no operator named 'expensiv'.",
            f"Its operators: {OPERATORS} The scaling loop was not paused.",
        ),
        ("Timeline strategy at 0s: no strategy is chosen here.", ""),
    ]
    records = [(e.step["do"], e.ok, e.message) for e in seen if isinstance(e, StepTaken)]
    assert records == [
        ("rescale", False, "The job has no operator named 'expensiv'."),
        ("strategy", False, "no strategy is chosen here."),
    ]


def test_a_stopped_run_waits_a_bounded_time_for_the_change_under_way_then_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """User review 37 F2: the quit during a rescale waited for it past the live session's own wait, and the app
    exited leaving the cluster running and the run "running". A stopped run waits STOPPED_WAIT_S at most for the
    change under way, says so, and ends, so its teardown stops the cluster. The platform is the simulator at a
    thousandth of the wall clock's pace with its time taken as a wall clock's, so a TaskManager start takes hours:
    a platform whose change hangs, as a loaded local cluster's did."""
    from scaletui.engine import autoscaler
    from scaletui.engine.simulator_set import open_simulator
    from scaletui.events import Notice

    monkeypatch.setattr(autoscaler, "STOPPED_WAIT_S", 1.0)
    slow = PlatformFile.model_validate(
        {"platform": {"name": "simulator", "type": "simulator"}, "settings": {"live_speed": 0.001}}
    )
    opened = open_simulator(slow, JOB, ConstantProfile(150.0), EventBus(), realtime=True)
    bus = EventBus()
    notices: list[str] = []
    bus.subscribe(lambda e: notices.append(e.message), Notice)  # type: ignore[attr-defined]
    run = make_run(dataclasses.replace(opened, virtual_time=False), tmp_path, bus=bus)
    try:
        run.begin()
        loop = threading.Thread(target=run.run, daemon=True)
        loop.start()
        change = run.apply(TaskManagersStep(do="taskmanagers", count=3), "hand")
        assert run.autoscaler.actuation is not None and run.autoscaler.actuation.busy()
        run.stop()
        loop.join(timeout=60)
        assert not loop.is_alive(), "the stopped run still waits for the TaskManager start"
        assert not change.done(), "the change under way ended: the test no longer has one to wait for"
        said = "has not ended after 1s: the run ends without it."
        assert any(n.startswith("The actuation under way (") and n.endswith(said) for n in notices), notices
    finally:
        opened.close(stop_cluster=True)
