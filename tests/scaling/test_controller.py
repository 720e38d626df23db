"""The control loop on the simulator, in simulated time: it reaches the oracle, keeps to the guard rails,
obeys dry-run, pauses on a change by hand, switches strategy and stops from a background thread."""

from __future__ import annotations

import threading
import time

import pytest

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.cluster.simulator.model import NodeSpec, SimConfig, default_job
from scaletui.config.models import StrategySpec
from scaletui.events import ActuationEvent, DecisionEvent, EventBus, Notice
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.guard import guard
from scaletui.scaling.registry import create_strategy
from scaletui.workload.profiles import StepProfile

LINEAR = ((1.0, 1.0), (4.0, 4.0))


def linear_cluster(**kw: object) -> SimConfig:
    """Four 4-core nodes: no CPU contention at 2 slots each, so scaling is linear and the oracle is exact."""
    nodes = tuple(NodeSpec(f"n{i}", speedup=LINEAR) for i in range(4))
    return SimConfig(operators=default_job(), nodes=nodes, max_taskmanagers=4, **kw)  # type: ignore[arg-type]


def loop(
    strategy: str, sim: SimulatedCluster, **spec: object
) -> tuple[ScalingController, list[DecisionEvent], EventBus]:
    bus = EventBus()
    decisions: list[DecisionEvent] = []
    bus.subscribe(lambda e: decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    ctl = ScalingController(sim, create_strategy(strategy), StrategySpec(name=strategy, **spec), bus, clock=sim.clock)  # type: ignore[arg-type]
    return ctl, decisions, bus


@pytest.mark.parametrize("strategy", ["ds2", "transscale"])
@pytest.mark.parametrize("high", [900, 1700, 2300])
def test_step_load_reaches_the_oracle_within_two_decisions(strategy: str, high: float) -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ((60.0, high),)))
    ctl, decisions, _ = loop(strategy, sim)
    ctl.run(threading.Event(), until=400)
    oracle = sim.oracle(high)
    assert oracle is not None
    after_step = [d for d in decisions if d.applied and d.ts > 60]
    assert 1 <= len(after_step) <= 2, [d.reason for d in after_step]
    reached = sim.job().parallelism["expensive"]
    if strategy == "ds2":
        assert reached == oracle["expensive"]
    else:  # Transscale keeps a headroom above the rate, so it may sit one instance above the bare minimum
        assert oracle["expensive"] <= reached <= oracle["expensive"] + 1
    assert sim.sample().backlog < high  # caught up
    assert after_step[0].rescale_s is not None and after_step[0].rescale_s >= sim.config.rescale_downtime_s
    assert after_step[0].inputs["operators"]["expensive"]["busy_ms"] is not None


def test_guard_rails_clamp_parallelism_and_taskmanagers() -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ((30.0, 2600),)))
    ctl, decisions, _ = loop("threshold", sim, max_parallelism=3, max_taskmanagers=2, max_slots=4)
    ctl.run(threading.Event(), until=300)
    applied = [d for d in decisions if d.applied]
    assert applied
    assert all(max(d.parallelism.values()) <= 3 and (d.taskmanagers or 0) <= 2 for d in decisions)
    assert any("guard rails" in d.reason for d in decisions)
    assert sim.engine.taskmanagers <= 2 and max(sim.job().parallelism.values()) <= 3


@pytest.mark.parametrize(
    ("spec", "limit"), [({"max_parallelism": 3}, 3), ({"max_taskmanagers": 2, "max_slots": 16}, 4)]
)
def test_a_strategy_sees_the_slots_the_guard_rails_allow(spec: dict[str, int], limit: int) -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ()))
    ctl, _, _ = loop("predictive", sim, **spec)
    seen: list[int | None] = []
    decide = ctl.strategy.decide
    ctl.strategy.decide = lambda obs: (seen.append(obs.slot_limit), decide(obs))[1]  # type: ignore[method-assign]
    ctl.run(threading.Event(), until=40)
    assert seen and set(seen) == {limit}  # 2 slots per TaskManager: max_taskmanagers 2 -> 4


def test_min_parallelism_is_kept() -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(100, ()))
    ctl, decisions, _ = loop("ds2", sim, min_parallelism=2, max_parallelism=8)
    ctl.run(threading.Event(), until=60)
    assert decisions and all(min(d.parallelism.values()) >= 2 for d in decisions)


def test_dry_run_publishes_but_does_not_apply() -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ((20.0, 1700),)))
    ctl, decisions, _ = loop("ds2", sim, dry_run=True)
    ctl.run(threading.Event(), until=120)
    wanted = [d for d in decisions if d.dry_run]
    assert wanted and not any(d.applied for d in decisions)
    assert wanted[0].parallelism["expensive"] > 1
    assert sim.job().parallelism["expensive"] == 1
    ctl.set_dry_run(False)
    ctl.run(threading.Event(), until=200)
    assert sim.job().parallelism["expensive"] > 1


def test_a_change_by_hand_pauses_the_loop_until_resumed() -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ((30.0, 1700),)))
    ctl, decisions, bus = loop("ds2", sim)
    notices: list[Notice] = []
    bus.subscribe(lambda e: notices.append(e), Notice)  # type: ignore[arg-type]
    ctl.run(threading.Event(), until=20)
    sim.set_parallelism({"expensive": 2})  # someone rescales by hand
    ctl.run(threading.Event(), until=150)
    assert ctl.status().paused and "outside the loop" in ctl.status().pause_reason
    assert ctl.time_to_next_decision() is None
    assert not [d for d in decisions if d.ts > 25]
    assert any(n.level == "warning" for n in notices)
    ctl.resume()
    assert ctl.time_to_next_decision() == pytest.approx(10.0)
    ctl.run(threading.Event(), until=250)
    assert [d for d in decisions if d.applied]
    assert sim.job().parallelism["expensive"] == sim.oracle(1700)["expensive"]  # type: ignore[index]


def test_time_to_next_decision_counts_down() -> None:
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ()))
    ctl, _, _ = loop("ds2", sim, interval=15.0, window=10.0)
    ctl.tick()
    assert ctl.time_to_next_decision() == pytest.approx(15.0)
    ctl.run(threading.Event(), until=sim.now + 5)
    assert ctl.time_to_next_decision() == pytest.approx(10.0)


def test_background_worker_switches_strategy_and_stops() -> None:
    """The loop in its own thread, the simulator slowed to 200x so the test can watch it."""
    config = linear_cluster()
    sim = SimulatedCluster(config, StepProfile(300, ((30.0, 1700),)), speed=200.0)
    ctl, decisions, bus = loop("ds2", sim)
    actuations: list[ActuationEvent] = []
    bus.subscribe(lambda e: actuations.append(e), ActuationEvent)  # type: ignore[arg-type]
    ctl.start()
    try:
        deadline = time.monotonic() + 20
        while not any(d.strategy == "ds2" for d in decisions) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(d.strategy == "ds2" for d in decisions)
        ctl.set_strategy(create_strategy("threshold"))
        while not any(d.strategy == "threshold" for d in decisions) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(d.strategy == "threshold" for d in decisions)
        assert ctl.status().strategy == "threshold" and ctl.status().running
    finally:
        ctl.stop(timeout=5)
    assert not ctl.running
    assert all(a.source == "simulator" for a in actuations)


@pytest.mark.parametrize("shared_bus", [False, True])
def test_each_actuation_is_published_once_whoever_reports_it(shared_bus: bool) -> None:
    bus = EventBus()
    seen: list[ActuationEvent] = []
    bus.subscribe(seen.append, ActuationEvent)  # type: ignore[arg-type]
    sim = SimulatedCluster(linear_cluster(), StepProfile(300, ((20.0, 1700),)), bus=bus if shared_bus else None)
    spec = StrategySpec.model_validate({"name": "ds2"})
    ctl = ScalingController(sim, create_strategy("ds2"), spec, bus, clock=sim.clock)
    ctl.run(threading.Event(), until=120)
    assert seen and len({(a.kind, a.started) for a in seen}) == len(seen)
    assert all(a.downtime_s is not None for a in seen)


def test_guard_without_slot_counts_clamps_only_by_the_limits() -> None:
    """A backend that does not report slots: parallelism is bounded by max_slots, TaskManagers by their max."""
    from scaletui.scaling.observation import Decision
    from tests.scaling.helpers import obs, op

    spec = StrategySpec.model_validate({"name": "ds2", "max_parallelism": 6, "max_slots": 5, "max_taskmanagers": 2})
    seen = obs(op("source"), op("expensive", upstream=("source",)))
    unknown = seen.__class__(**{**seen.__dict__, "total_slots": None, "taskmanagers": None})
    guarded, notes = guard(spec, Decision({"expensive": 7}, 3, "test"), unknown)
    assert guarded.parallelism["expensive"] == 5 and guarded.taskmanagers == 2
    assert any("max_parallelism" in n for n in notes) and any("TaskManagers 3->2" in n for n in notes)


@pytest.mark.parametrize("memory", [0.0, 600.0])
def test_ds2_settles_on_shared_nodes_instead_of_flipping(memory: float) -> None:
    """sim-timeline's case: 900 r/s on 2-core nodes, where the true rate DS2 measures at 4 instances (~320 r/s each)
    promises 3 would do, and 3 (~285 r/s each) falls behind. Bare DS2 (memory 0) restarts the job every ~40 s for
    ever; with its memory of 3 falling behind it stays at 4 once it has seen that."""
    from scaletui.cluster.simulator.model import cluster_config
    from scaletui.scaling.strategies.ds2 import Ds2Params, Ds2Strategy

    sim = SimulatedCluster(cluster_config(nodes=4, taskmanagers=2, seed=1), StepProfile(300, ((60.0, 900),)))
    bus = EventBus()
    decisions: list[DecisionEvent] = []
    bus.subscribe(lambda e: decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    spec = StrategySpec(name="ds2", interval=15.0, window=15.0, cooldown=30.0, max_parallelism=8, max_taskmanagers=4)
    ctl = ScalingController(sim, Ds2Strategy(Ds2Params(memory=memory)), spec, bus, clock=sim.clock)
    ctl.run(threading.Event(), until=sim.now + 1200)
    late = [d for d in decisions if d.applied and d.ts - sim.engine.start > 300]
    if memory == 0:
        assert len(late) > 10  # the flip this guards against, still there in DS2 as published
        return
    assert late == [] and sim.job().parallelism["expensive"] == 4
    assert any("3 fell behind at" in d.reason for d in decisions if d.ts - sim.engine.start > 300)
