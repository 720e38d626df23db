"""The control loop while its own actuation runs: it says it is rescaling (not "next decision in 0s"), and what the
job settles at afterwards (even after a failed or slow actuation) is its own doing, not a change by hand.

Found on local Flink: a Transscale scale-out that needed one more TaskManager showed "next decision in 0s" for a
minute, then paused itself with "parallelism changed outside the loop". Reproduced on the simulator, with an
actuation that applies the change and then reports a timeout, as `wait_running` did.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.cluster.simulator.model import NodeSpec, SimConfig, default_job
from scaletui.config.models import StrategySpec
from scaletui.engine.replay import ReplayPlayer
from scaletui.engine.series import SeriesStore
from scaletui.errors import JobError
from scaletui.events import ActuationEvent, DecisionEvent, EventBus
from scaletui.results.recorder import RunRecorder
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.registry import create_strategy
from scaletui.scaling.status import ControllerStatus
from scaletui.tui.screens.decisions import decision_row, entries
from scaletui.workload.profiles import StepProfile

LINEAR = ((1.0, 1.0), (4.0, 4.0))


def cluster(cls: type[SimulatedCluster] = SimulatedCluster) -> SimulatedCluster:
    nodes = tuple(NodeSpec(f"n{i}", speedup=LINEAR) for i in range(4))
    config = SimConfig(operators=default_job(), nodes=nodes, max_taskmanagers=4, taskmanager_start_s=30.0)
    return cls(config, StepProfile(300, ((30.0, 1700),)))


class SlowToConfirm(SimulatedCluster):
    """Applies the rescale, then gives up waiting for it as Flink's wait for RUNNING did: the job runs at the new
    parallelism, the call says it timed out."""

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        super().set_parallelism(parallelism)
        raise JobError("Timed out waiting for the job to run at the new parallelism.")


def controller(sim: SimulatedCluster) -> tuple[ScalingController, list[DecisionEvent]]:
    bus = EventBus()
    decisions: list[DecisionEvent] = []
    bus.subscribe(lambda e: decisions.append(e) if isinstance(e, DecisionEvent) else None)
    spec = StrategySpec(name="ds2", interval=10, window=10, cooldown=20, max_taskmanagers=4, max_slots=8)
    return ScalingController(sim, create_strategy("ds2"), spec, bus, clock=sim.clock), decisions


def test_a_failed_actuation_is_reported_and_the_loop_is_not_paused_by_its_own_change() -> None:
    sim = cluster(SlowToConfirm)
    ctl, decisions = controller(sim)
    ctl.run(threading.Event(), until=sim.now + 200)
    failed = [d for d in decisions if "not applied" in d.reason]
    assert failed, [d.reason for d in decisions]
    status = ctl.status()
    assert not status.paused, status.pause_reason
    assert sim.job().parallelism["expensive"] > 1, "the change the call applied stays"


def test_the_status_says_rescaling_while_the_loop_acts() -> None:
    """Read from another thread while the loop's actuation blocks (a TaskManager takes 30 s to start here)."""
    sim = cluster()
    ctl, decisions = controller(sim)
    seen: list[ControllerStatus] = []
    original = sim.set_taskmanagers

    def watched(count: int) -> ActuationEvent:
        seen.append(ctl.status())
        return original(count)

    sim.set_taskmanagers = watched  # type: ignore[method-assign]
    ctl.run(threading.Event(), until=sim.now + 300)
    assert seen, "the load step needs more TaskManagers"
    assert all(s.acting.startswith("rescaling") and s.next_decision_in is None for s in seen)
    assert "TaskManagers" in seen[0].acting
    assert ctl.status().acting == "" and not ctl.status().paused
    assert any(d.applied and d.taskmanagers and d.taskmanagers > 1 for d in decisions)
    assert all(d.before for d in decisions), "each decision keeps where it started from"


def test_a_decision_is_stamped_when_it_was_made_and_rescale_s_says_how_long_applying_it_took() -> None:
    """A scale-out that waited 30 s for its TaskManager was stamped when that wait ended: the history, the plot
    markers and a replay put it after a fault that came meanwhile, though it was made before."""
    sim = cluster()
    ctl, decisions = controller(sim)
    actuations: list[ActuationEvent] = []
    ctl.bus.subscribe(lambda e: actuations.append(e) if isinstance(e, ActuationEvent) else None)
    ctl.run(threading.Event(), until=sim.now + 300)
    scale_out = next(d for d in decisions if d.applied and d.taskmanagers and d.taskmanagers > 1)
    start = next(a for a in actuations if a.kind == "taskmanagers")
    assert start.ended is not None and scale_out.rescale_s is not None
    assert scale_out.ts <= start.started < start.ended <= scale_out.ts + scale_out.rescale_s + 1e-6
    assert scale_out.rescale_s >= 30.0, "the TaskManager start is part of applying it"


def test_a_decision_shows_at_once_in_progress_and_is_recorded_once_with_its_outcome(tmp_path: Path) -> None:
    """Review 34 F11: an applied decision reached the history and the strategy line's `last:` only when its rescale
    ended (minutes on a testbed). It shows as soon as it is made, "in progress" until then, while the run's files
    and a replay keep one line per decision with its outcome."""
    sim = cluster()
    ctl, decisions = controller(sim)
    store = SeriesStore().attach(ctl.bus)
    recorder = RunRecorder(tmp_path, "s", experiment_name="f11", bus=ctl.bus, started_at=0.0)
    during: list[tuple[DecisionEvent | None, list[str]]] = []
    original = sim.set_taskmanagers

    def watched(count: int) -> ActuationEvent:
        shown = entries(store.decisions_between())
        during.append((ctl.status().last_decision, decision_row(0, shown[-1], 0.0)[1]))
        return original(count)

    sim.set_taskmanagers = watched  # type: ignore[method-assign]
    ctl.run(threading.Event(), until=sim.now + 300)
    recorder.close(report=False, parquet=False)

    last, row = during[0]
    assert last is not None and last.in_progress, "last: names the decision being carried out"
    assert row[3] == "in progress" and row[4] == "…", row
    outcome = next(d for d in decisions if d.ts == last.ts and not d.in_progress)
    assert outcome.applied and outcome.rescale_s is not None and outcome.rescale_s >= 30.0
    final = [d for d in decisions if not d.in_progress]
    assert [(d.ts, d.applied) for d in store.decisions_between()] == [(d.ts, d.applied) for d in final]
    assert decision_row(0, entries(store.decisions_between())[final.index(outcome)], 0.0)[1][3:5] == [
        "yes",
        f"{outcome.rescale_s:.1f}s",
    ]
    lines = [json.loads(x) for x in (recorder.run_dir / "decisions.jsonl").read_text().splitlines()]
    assert [(x["ts"], x["applied"], x["rescale_s"]) for x in lines] == [(d.ts, d.applied, d.rescale_s) for d in final]
    assert not any("in_progress" in x for x in lines)
    replay = ReplayPlayer(recorder.run_dir)
    replay.seek(replay.end)
    assert [(d.ts, d.applied) for d in replay.series.decisions_between()] == [(d.ts, d.applied) for d in final]
