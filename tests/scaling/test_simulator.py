"""The simulator's physics: the oracle sustains and one less does not, CPU sharing matches the local figures,
rescales cost downtime, TaskManagers take time to start, delay costs capacity and latency, noise is seeded."""

from __future__ import annotations

import time

import pytest

from scaletui.cluster.base import ClusterBackend
from scaletui.cluster.simulator import SimulatedCluster
from scaletui.cluster.simulator.model import NodeSpec, OperatorSpec, SimConfig, cluster_config, water_level
from scaletui.cluster.simulator.oracle import operator_loads, oracle_parallelism, sustains
from scaletui.workload.profiles import ConstantProfile


def run(
    config: SimConfig, rate: float, seconds: float, tms: int | None = None, parallelism: dict[str, int] | None = None
) -> SimulatedCluster:
    sim = SimulatedCluster(config, ConstantProfile(rate))
    if tms:
        sim.engine.taskmanagers = tms
    if parallelism:
        sim.engine.set_parallelism(parallelism, 0.0)
    sim.advance(seconds)
    return sim


def test_simulator_is_a_cluster_backend() -> None:
    sim = SimulatedCluster(cluster_config(), ConstantProfile(100))
    assert isinstance(sim, ClusterBackend)
    assert sim.sample().stale
    sim.advance(2)
    s = sim.sample()
    assert not s.stale and set(s.operators) == {"source", "parse", "expensive", "window", "sink"}
    assert sim.job().operator("window").keyed_input


@pytest.mark.parametrize("rate", [400, 900, 1300])
def test_oracle_sustains_and_one_less_does_not(rate: float) -> None:
    cfg = cluster_config(nodes=4, noise=0.0)
    oracle = oracle_parallelism(cfg, rate)
    assert oracle is not None
    tms = -(-max(oracle.values()) // cfg.slots_per_taskmanager)
    ok = run(cfg, rate, 240, tms, oracle)
    assert ok.sample().backlog is not None and ok.sample().backlog < rate * 2
    assert ok.sample().achieved_rate == pytest.approx(rate, rel=0.02)
    loads = operator_loads(cfg, rate)
    for name, sample in ok.sample().operators.items():
        assert sample.records_in_per_s == pytest.approx(loads[name], rel=0.01)
    for name, p in oracle.items():
        if p > 1:
            lower = {**oracle, name: p - 1}
            assert not sustains(cfg, rate, lower)
            short = run(cfg, rate, 240, tms, lower).sample().operators[name].records_in_per_s
            assert short is not None and short < loads[name] * 0.995, f"{name} at {p - 1} should fall behind"


def test_contention_is_calibrated_to_the_local_machine() -> None:
    """One 2-core node: 2 busy slots give ~1.4x and 4 slots ~1.5x of one (shared/notes/flink-local.md)."""
    ops = (
        OperatorSpec("source", cost_ms=0.001),
        OperatorSpec("work", cost_ms=2.0, upstream=("source",)),
        OperatorSpec("sink", cost_ms=0.001, upstream=("work",)),
    )
    cfg = SimConfig(operators=ops, nodes=(NodeSpec("local"),), slots_per_taskmanager=2, noise=0.0, max_taskmanagers=2)
    done = {}
    for p in (1, 2, 4):
        sim = run(cfg, 5000, 60, 2, {"work": p})
        done[p] = sim.sample().operators["work"].records_in_per_s
    assert done[1] == pytest.approx(500, rel=0.02)
    assert done[2] / done[1] == pytest.approx(1.4, abs=0.05)
    assert done[4] / done[1] == pytest.approx(1.5, abs=0.05)


def test_a_waiting_operator_scales_with_its_slots_not_the_cores() -> None:
    """`wait_ms` (the workload job's wait per record, as on an external call) uses no CPU: 4 slots on one 2-core
    node take 4x what one takes, where the same time spent computing gives 1.5x; the oracle agrees."""

    def work(cost: float, wait: float) -> SimConfig:
        ops = (
            OperatorSpec("source", cost_ms=0.001),
            OperatorSpec("work", cost_ms=cost, upstream=("source",), wait_ms=wait),
            OperatorSpec("sink", cost_ms=0.001, upstream=("work",)),
        )
        return SimConfig(operators=ops, nodes=(NodeSpec("local"),), slots_per_taskmanager=4, noise=0.0)

    waiting, computing = work(0.1, 1.9), work(2.0, 0.0)
    done = {
        (cfg is waiting, p): run(cfg, 5000, 60, 1, {"work": p}).sample().operators["work"].records_in_per_s
        for cfg in (waiting, computing)
        for p in (1, 4)
    }
    assert done[(True, 1)] == pytest.approx(500, rel=0.02) and done[(False, 1)] == pytest.approx(500, rel=0.02)
    assert done[(True, 4)] / done[(True, 1)] == pytest.approx(4.0, rel=0.02)
    assert done[(False, 4)] / done[(False, 1)] == pytest.approx(1.5, abs=0.05)
    held = run(waiting, 1800, 60, 1, {"work": 4})
    assert held.sample().nodes["local"].cpu_cores == pytest.approx(1800 * 0.1 / 1000, rel=0.1)
    assert oracle_parallelism(waiting, 1800) == {"source": 1, "work": 4, "sink": 1}
    assert oracle_parallelism(waiting, 2100) is None or oracle_parallelism(waiting, 2100)["work"] > 4


def test_water_level_shares_max_min() -> None:
    assert water_level([0.3, 0.3], 1.4) == 1.0  # no contention at low load
    assert water_level([1.0, 1.0], 1.4) == pytest.approx(0.7)
    assert water_level([0.1, 1.0, 1.0], 1.4) == pytest.approx(0.65)


def test_rescale_stops_the_flow_for_the_downtime_and_builds_backlog() -> None:
    cfg = cluster_config(nodes=2, noise=0.0, rescale_downtime_s=5.0, savepoint_downtime_s=12.0)
    sim = run(cfg, 300, 30)
    event = sim.set_parallelism({"expensive": 2})
    assert event.downtime_s == 5.0 and event.ended - event.started == pytest.approx(5.0)
    assert sim.sample().backlog == pytest.approx(300 * 5, rel=0.1)
    sp = sim.savepoint_restart({"expensive": 1})
    assert sp.kind == "savepoint-restart" and sp.ended - sp.started == pytest.approx(12.0)


def test_taskmanagers_take_their_start_time_and_add_slots() -> None:
    cfg = cluster_config(nodes=3, noise=0.0, taskmanager_start_s=15.0)
    sim = run(cfg, 300, 5)
    event = sim.set_taskmanagers(3)
    assert event.ended - event.started >= 15.0
    assert sim.sample().total_slots == 6 or sim.engine.total_slots == 6
    tms = [i for i in sim.instances() if i.role == "taskmanager"]
    assert [i.state for i in tms] == ["running"] * 3
    assert tms[0].started_at == sim.started_at, "the first TaskManager came up with the cluster"
    assert tms[2].started_at == pytest.approx(event.started + 15.0, abs=cfg.dt), "a new one is as old as it is"
    sim.set_taskmanagers(2)
    assert [i.started_at for i in sim.instances() if i.role == "taskmanager"] == [t.started_at for t in tms[:2]]


def test_network_delay_lowers_capacity_and_adds_latency() -> None:
    near = cluster_config(nodes=4, noise=0.0)
    far = cluster_config(nodes=4, noise=0.0, delay_ms=20.0)
    p = {"expensive": 4}
    a, b = run(near, 600, 60, 2, p), run(far, 600, 60, 2, p)
    assert b.sample().latency_ms["p50"] > a.sample().latency_ms["p50"] + 20  # cross-node hops pay the delay
    assert oracle_parallelism(far, 1100)["expensive"] > oracle_parallelism(near, 1100)["expensive"]  # type: ignore[index]


def test_noise_is_seeded() -> None:
    a = run(cluster_config(seed=7), 500, 20).sample()
    b = run(cluster_config(seed=7), 500, 20).sample()
    c = run(cluster_config(seed=8), 500, 20).sample()
    assert a == b
    assert a.operators["expensive"].busy_ms_per_s != c.operators["expensive"].busy_ms_per_s


def test_an_experiment_runs_much_faster_than_real_time() -> None:
    sim = SimulatedCluster(cluster_config(), ConstantProfile(800))
    t0 = time.perf_counter()
    sim.advance(600)
    assert time.perf_counter() - t0 < 30  # ten simulated minutes in well under a real minute, even on a busy box


def test_local_config_has_the_demand_measured_on_the_local_machine() -> None:
    """`scaletui scalability` on local Flink: parallelism 1 holds 400 r/s of the 2 ms job, 2 holds 800, nothing up
    to 4 holds 1000 (docs/scalability.md); the third and fourth slot add no core."""
    from scaletui.cluster.simulator.model import local_config

    cfg = local_config(noise=0.0)
    assert oracle_parallelism(cfg, 400) == {"source": 1, "parse": 1, "expensive": 1, "window": 1, "sink": 1}
    assert (oracle_parallelism(cfg, 800) or {}).get("expensive") == 2
    assert oracle_parallelism(cfg, 1000) is None
    two = run(cfg, 2000, 60, 2, {"expensive": 2}).sample().operators["expensive"].records_in_per_s
    four = run(cfg, 2000, 60, 2, {"expensive": 4}).sample().operators["expensive"].records_in_per_s
    assert two is not None and four is not None and 800 < two < 1000 and four < 1.05 * two


def test_engine_modules_do_not_import_textual_or_rich() -> None:
    import subprocess
    import sys

    code = (
        "import sys, scaletui.scaling.controller, scaletui.scaling.registry, scaletui.cluster.simulator, "
        "scaletui.workload.profiles; bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', "
        "'matplotlib')]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_calibrate_from_local_benchmark_figures() -> None:
    from scaletui.cluster.simulator.model import calibrate, local_config

    cfg = calibrate(local_config(noise=0.0), saturation_rate_per_slot=400, two_slot_ratio=1.2, four_slot_ratio=1.3)
    cfg = calibrate(cfg, rescale_s=1.2, taskmanager_start_s=20)
    assert cfg.operator("expensive").cost_ms == pytest.approx(2.5)
    assert cfg.nodes[0].supply(2) == pytest.approx(1.2) and cfg.nodes[0].supply(4) == pytest.approx(1.3)
    assert (cfg.rescale_downtime_s, cfg.taskmanager_start_s) == (1.2, 20)
    one = run(cfg, 2000, 30, 2, {"expensive": 1}).sample().operators["expensive"].records_in_per_s
    two = run(cfg, 2000, 30, 2, {"expensive": 2}).sample().operators["expensive"].records_in_per_s
    assert one == pytest.approx(400, rel=0.03) and two is not None and 1.05 < two / one < 1.25
    with pytest.raises(ValueError):
        calibrate(cfg, two_slot_ratio=3.0)
