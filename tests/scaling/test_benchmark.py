"""benchmarks/scaling.py end to end on short runs: the table, a generated and a replayed trace, the verdict, a plot,
and a bad trace; the hindsight yardstick and the trace generator on their own."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))  # the benchmark's sibling modules


def load_benchmark():
    spec = importlib.util.spec_from_file_location("scaling_benchmark", ROOT / "benchmarks" / "scaling.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scaling_benchmark"] = module
    spec.loader.exec_module(module)
    return module


def test_table_rows_for_every_strategy_and_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "burst.csv"
    trace.write_text("t,rate\n0,300\n120,1100\n240,300\n")
    bench = load_benchmark()
    args = ["--duration", "5m", "--loads", "step", "--trace", str(trace), "--out", str(tmp_path / "out")]
    code = bench.main(args + ["--dt", "0.5", "--shapes", "flash", "--seeds", "1", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0] in bench.STRATEGIES]
    loads = ("step", "burst", "flash-1")
    assert {(r[0], r[1]) for r in rows} >= {(s, load) for s in bench.STRATEGIES for load in loads}
    assert "predicted / measured capacity" in out
    verdict = out[out.index("the bar:") :]
    assert all(f"\n{load} " in verdict for load in loads)
    summary = [line.split() for line in verdict.splitlines() if line.split()[:1] == ["predictive"]]
    assert summary and summary[0][1].endswith("/3")  # loads met out of the three it ran
    assert "hindsight" in verdict.splitlines()[1]  # the column of what a schedule knowing the trace reaches
    assert re.search(r"within reach of a schedule that knows the trace on \d of 3 loads", verdict)
    assert (tmp_path / "out" / "scaling-burst.png").stat().st_size > 10_000


def test_bad_trace_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text("t,rate\n0,abc\n")
    assert load_benchmark().main(["--trace", str(trace), "--loads", ""]) == 2
    assert "line 2 expected numbers" in capsys.readouterr().err


def test_hindsight_follows_a_burst_when_it_may_rescale_and_proves_the_bar_out_of_reach_when_not() -> None:
    from scaling_hindsight import hindsight

    # 300 r/s, a burst to 800 from 200 s to 400 s, 300 again; capacity 500 / 600 / 900 r/s at 1 / 2 / 3 slots
    rates = [800.0 if 200 <= t < 400 else 300.0 for t in range(600)]
    mst = [500.0, 600.0, 900.0]
    oracle = 400 * 1 + 200 * 3
    two = hindsight(rates, mst, max_rescales=2, oracle_slot_s=oracle)
    verdict, point = two.verdict(slot_bar=1.1, slo_budget=20)
    assert verdict == "reachable" and point is not None
    # up and down once each: each restart stops the job for 2 s (counted as violations), nothing else is late
    assert point.rescales == 2 and 4 <= point.slo_s <= 12 and point.slot_s <= 1.1 * oracle
    none = hindsight(rates, mst, max_rescales=0, oracle_slot_s=oracle)
    verdict, point = none.verdict(slot_bar=1.1, slo_budget=20)
    # without a rescale the job either holds 3 slots throughout (1.8x the oracle) or queues 60 000 records
    assert verdict == "out of reach" and point is not None and point.rescales == 0


def test_generated_traces_depend_on_shape_and_seed_only() -> None:
    from scaling_traces import HIGH, LOW, SHAPES, trace

    for shape in SHAPES:
        a, b = trace(shape, 1, 600), trace(shape, 1, 600)
        assert a == b and a != trace(shape, 2, 600)
        assert all(LOW <= r <= HIGH for _, r in a) and a[-1][0] == 600


def test_foresight_scales_up_before_the_step_that_predictive_reacts_to() -> None:
    """The diagnostic `predictive-foresight` plans on the load's own future: its scale-up for the step at 5 min is
    in place before the step, while predictive, which only forecasts, follows it."""
    import argparse

    from scaletui.cluster.simulator.model import cluster_config
    from scaletui.config.models import LoadSpec
    from scaletui.workload.profiles import build_profile

    bench = load_benchmark()
    profile = build_profile(LoadSpec.model_validate(bench.LOADS["step"]))
    config = cluster_config(nodes=4, dt=0.5, seed=1)
    first_up = {}
    for name, horizon in (("predictive-foresight", None), ("predictive", None), ("predictive-foresight", 0.0)):
        args = argparse.Namespace(duration=360.0)
        run = bench.run_one(name, "step", profile, config, args, {}, foresight_horizon=horizon)
        ups = [d.ts for d in run.decisions if d.applied and max(d.parallelism.values()) > max(d.before.values())]
        assert ups, f"{name} (horizon {horizon}) never scaled up for the step"
        first_up[(name, horizon)] = ups[0]
    # told nothing ahead of now, foresight follows the step like predictive
    assert first_up[("predictive-foresight", None)] < 300.0 <= first_up[("predictive-foresight", 0.0)], first_up
    assert first_up[("predictive", None)] > 300.0, first_up


def test_whatif_reads_variants_and_prints_each_against_the_bar(capsys: pytest.CaptureFixture[str]) -> None:
    import scaling_whatif as whatif

    v = whatif.parse_variant("predictive-foresight:violation_cost=10,epoch=5s,horizon=30s")
    assert (v.strategy, v.params, v.horizon) == ("predictive-foresight", {"violation_cost": 10.0, "epoch": "5s"}, 30.0)
    for bad in ("predictive:violation_cost", "predictive:horizon=30"):
        with pytest.raises(whatif.UserError):
            whatif.parse_variant(bad)
    assert whatif.main(["predictive:no_such_knob=1", "--loads", "step", "--shapes", ""]) == 2
    assert "no_such_knob is not a parameter" in capsys.readouterr().err

    code = whatif.main(
        ["--duration", "5m", "--loads", "step", "--shapes", "", "--jobs", "2", "predictive:violation_cost=10"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"^step: best rule \d+ SLO s, DS2 \d+ rescales$", out, re.M)
    assert re.search(r"^predictive:violation_cost=10: meets the bar on [01]/1, means [\d.]+/[\d.]+/[\d.]+$", out, re.M)
    assert re.search(r"^  step +[\d.]+/ *[\d.]+/ *[\d.]+[* ] SLO \d+ s, \d+ rescales$", out, re.M)


def test_live_ranking_treats_runs_within_noise_as_tied() -> None:
    """Two runs 1 SLO second and 2 slot-seconds apart (transscale and threshold on the live step, 2026-12-06) tie:
    neither dominates the other, and a pair tied live is left out of the agreement; a run worse on both by more than
    the noise is dominated, and so is one 3 SLO seconds better on 22 % more slot-seconds (the spike in the
    simulator)."""
    from scaling_live import Outcome, agreement, dominates, ranking, ties

    def outcome(name: str, slo_s: int, slot_s: int) -> Outcome:
        return Outcome(name, "step", p99=[None] * slo_s + [10.0] * (600 - slo_s), slots=[slot_s])

    live = [outcome("transscale", 25, 1124), outcome("threshold", 26, 1126), outcome("slow", 110, 1200)]
    sim = [outcome("transscale", 21, 1126), outcome("threshold", 20, 1126), outcome("slow", 148, 1300)]
    rl, rs = ranking(live, 1000.0), ranking(sim, 1000.0)
    assert rl == {"transscale": 1, "threshold": 2, "slow": 3} and rs == {"threshold": 1, "transscale": 2, "slow": 3}
    tie = ties(live, 1000.0)
    assert tie == {frozenset(("transscale", "threshold"))}
    assert agreement(rs, rl) == pytest.approx(2 / 3) and agreement(rs, rl, tie) == 1.0
    # without the noise, a's 1 second and 2 slot-seconds less would dominate b and put it behind c, which breaks
    # the SLO 14 seconds longer on fewer slots
    assert ranking([outcome("a", 25, 1124), outcome("b", 26, 1126), outcome("c", 40, 1000)], 1000.0)["b"] == 2
    predictive, transscale = outcome("predictive", 66, 926), outcome("transscale", 69, 758)
    assert dominates(transscale, predictive, 1000.0) and not dominates(predictive, transscale, 1000.0)
    assert ranking([predictive, transscale], 1000.0) == {"transscale": 1, "predictive": 2}


def test_a_live_rescale_counts_its_actuation_even_where_the_samples_missed_it() -> None:
    """An in-place rescale stops the job for under a second and Flink's metric store serves the old attempt's figures
    meanwhile: every one-second sample can carry a latency. The actuation's seconds, which the platform timed (the
    decision's rescale_s), still count as the restart's, against the SLO, as do the seconds after it without a
    figure."""
    from scaling_live import Outcome, _seconds

    from scaletui.events import DecisionEvent

    wall = 1000.0
    decision = DecisionEvent(ts=wall + 10.3, source="scaling", strategy="threshold", parallelism={"expensive": 2},
                             taskmanagers=None, reason="", applied=True, rescale_s=2.1)  # fmt: skip
    run = Outcome("threshold", "step", p99=[10.0] * 13 + [None, None] + [10.0] * 15, slots=[1] * 30)
    run.rescaled_at, run.restarts = [9], [_seconds(decision, wall, 30)]
    assert run.restarts == [(10, 12)]
    assert run.gaps() == [5] and run.slo_s(1000.0) == 5
    assert Outcome("x", "step", p99=[10.0] * 30, slots=[1] * 30, rescaled_at=[9]).gaps() == [0]


def test_live_comparison_keeps_every_run_s_series_and_decisions(tmp_path: Path) -> None:
    """What a 100-minute comparison printed is not all it measured: each run's series and decisions go to a file."""
    import json

    from scaling_live import live_loads, simulate, write_outcomes

    from scaletui.cluster.simulator.model import local_config
    from scaletui.scaling.registry import create_strategy

    profile = live_loads(150.0, 600.0, at=15.0)["step"]
    run = simulate("threshold", "step", profile, local_config(taskmanagers=2), 90.0, create_strategy)
    path = write_outcomes({"step": ([run], [run])}, tmp_path / "out" / "live.json")
    doc = json.loads(path.read_text())
    saved = doc["step"]["live"][0]
    assert saved["strategy"] == "threshold" and len(saved["p99_ms"]) == len(saved["slots"]) > 60
    applied = [d for d in saved["decisions"] if d["applied"]]
    assert any(d["to"]["expensive"] > d["from"]["expensive"] for d in applied), applied  # the step's scale-up
    assert all(d["reason"] for d in saved["decisions"])
    assert saved["rescaled_at"] and doc["step"]["simulator"][0]["decisions"] == saved["decisions"]


def test_the_live_comparison_sees_other_work_on_the_machine() -> None:
    """A busy process beside the cluster is counted as other work; the same process listed as the cluster's is not
    (the live table warns when other work took the capacity its figures assume). Compared in clock ticks, so the
    figure does not depend on the core count or on what else runs."""
    import os
    import subprocess
    import time
    from types import SimpleNamespace

    from other_cpu import OtherCpu, _process_jiffies

    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        cluster = SimpleNamespace(cluster=SimpleNamespace(processes=lambda: []))
        as_ours = SimpleNamespace(cluster=SimpleNamespace(processes=lambda: [SimpleNamespace(pid=busy.pid)]))
        other, ours = OtherCpu(), OtherCpu()
        other.sample(cluster)
        ours.sample(as_ours)
        start = (_process_jiffies(busy.pid) or (0, 0))[0]
        second, deadline = os.sysconf("SC_CLK_TCK"), time.monotonic() + 120
        while (_process_jiffies(busy.pid) or (0, 0))[0] - start < second and time.monotonic() < deadline:
            time.sleep(0.05)  # until the busy process has had a second of CPU
        ours.sample(as_ours)
        other.sample(cluster)
        used = (_process_jiffies(busy.pid) or (0, 0))[0] - start
    finally:
        busy.kill()
        busy.wait()
    assert used >= second, "the busy process did not get a second of CPU within two minutes"
    assert other.share is not None and ours.share is not None
    assert abs((other.other - ours.other) - used) <= max(0.15 * used, 10), (other.other, ours.other, used)
