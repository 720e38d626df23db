"""When the scaling loop pauses itself, everything that shows its state says so, and why.

Found on local Flink: a pause fault on a TaskManager made Flink fail the job over onto fewer slots; the loop paused
with "parallelism changed outside the loop", yet the status bar showed the strategy without "(paused)" (the session
never heard of that pause), and the Pods header kept the parallelism of the last rescale while the job ran lower.
The cause was the user's own fault, not a change from outside. Reproduced on the simulator, where the job's
parallelism is changed under the loop as Flink's failover does, without any event saying so."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.config.models import JobSpec, LoadSpec, PlatformFile, StrategySpec
from scaletui.engine.capabilities import Capabilities
from scaletui.engine.faults import FaultControl
from scaletui.engine.reducer import SessionReducer
from scaletui.engine.run import Run
from scaletui.engine.run_plan import RunPlan
from scaletui.events import EventBus
from scaletui.scaling.strategy import Strategy
from scaletui.session.model import Session
from scaletui.session.store import SessionStore
from scaletui.tui.theming import Palette
from scaletui.tui.widgets.status import summary
from scaletui.workload.profiles import ConstantProfile
from tests.chaos.journal import JournalFaults
from tests.engine.test_run_checks import Hold
from tests.recording import journal

PLATFORM = PlatformFile.model_validate({"platform": {"name": "simulator", "type": "simulator"}})
JOB = JobSpec(taskmanagers=2, slots_per_taskmanager=2, parallelism={"expensive": 3})


@dataclasses.dataclass
class Live:
    caps: Capabilities
    run: Run
    store: SessionStore
    faults: FaultControl

    def seconds(self, count: int) -> None:
        """Let `count` seconds of simulated time pass, the loop ticking each one as the run loop does."""
        for _ in range(count):
            self.caps.clock.sleep(1.0, threading.Event())
            self.run.autoscaler.tick()

    def fail_over(self, expensive: int) -> None:
        """What Flink does when a TaskManager stops answering: the job restarts on fewer slots, no event says so."""
        self.caps.cluster.engine.set_parallelism({"expensive": expensive}, 0.0)  # type: ignore[attr-defined]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    from scaletui.engine.simulator_set import open_simulator

    bus = EventBus()
    store = SessionStore.open(tmp_path / "s")
    SessionReducer(store, bus)
    caps = open_simulator(PLATFORM, JOB, ConstantProfile(150.0), bus, realtime=False)
    faults = FaultControl(journal(store), bus)
    faults.attach("simulator", (JournalFaults(),), caps.cluster.instances)
    plan = RunPlan(
        name="live",
        duration=None,
        job=JOB,
        load=LoadSpec.model_validate({"profile": "constant", "rate": 150}),
        profile=ConstantProfile(150.0),
        strategy=StrategySpec(name="hold", interval=600, window=600),
        initial_strategy=Hold(),
    )

    def no_strategy(spec: StrategySpec) -> Strategy:
        raise AssertionError("no strategy is chosen here")

    run = Run(caps, plan, bus, faults, no_strategy, threading.Event())
    run.begin()
    try:
        yield Live(caps, run, store, faults)
    finally:
        faults.close()
        caps.close(stop_cluster=True)


def status_bar(session: Session) -> str:
    """The status line of `session` with its cluster on, as the experiment that runs the loop records it (this test
    runs the loop without one, and a session with no cluster shows the autoscaler as the next start's)."""
    on = session.cluster.model_copy(update={"backend": "simulator"})
    return summary(session.model_copy(update={"cluster": on}), 0.0, Palette({})).plain


def running(store: SessionStore) -> dict[str, int]:
    return store.read(lambda s: {o.name: o.parallelism for o in s.job.operators})


def test_a_failover_under_a_fault_pauses_the_loop_and_the_status_bar_and_pods_header_say_so(live: Live) -> None:
    live.seconds(5)
    assert running(live.store)["expensive"] == 3
    live.faults.fire("pause", ["taskmanager-2"], 60.0)
    live.fail_over(expensive=2)
    live.seconds(5)

    status = live.run.strategy_status()
    assert status is not None and status.paused
    assert status.pause_reason.startswith("the job failed over under a fault, pause on taskmanager-2 ("), (
        status.pause_reason
    )
    session = live.store.session
    assert session.strategy.paused, "the session (and what reads it) never heard the loop paused itself"
    assert running(live.store)["expensive"] == 2, "the Pods header keeps the parallelism of before the failover"
    bar = status_bar(session)
    assert "hold (paused: the job failed over under a fault)" in bar, bar


def test_a_change_from_outside_with_no_fault_says_so_and_a_pause_by_the_user_is_bare(live: Live) -> None:
    live.seconds(5)
    live.fail_over(expensive=2)
    live.seconds(5)
    status = live.run.strategy_status()
    assert status is not None and status.paused
    bar = status_bar(live.store.session)
    assert "hold (paused: parallelism changed outside the loop)" in bar, bar

    live.run.autoscaler.pause(False)
    live.run.autoscaler.pause(True)
    status = live.run.strategy_status()
    bar = status_bar(live.store.session)
    assert bar.endswith("│ hold (paused)"), bar
