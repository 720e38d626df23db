"""benchmarks/scaling.py end to end on short runs: the table, a generated and a replayed trace, the verdict, a plot,
and a bad trace; the clairvoyant bound and the trace generator on their own."""

from __future__ import annotations

import importlib.util
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
    assert (tmp_path / "out" / "scaling-burst.png").stat().st_size > 10_000


def test_bad_trace_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text("t,rate\n0,abc\n")
    assert load_benchmark().main(["--trace", str(trace), "--loads", ""]) == 2
    assert "line 2 expected numbers" in capsys.readouterr().err


def test_clairvoyant_bound_counts_the_changes_it_may_make() -> None:
    from scaling_verdict import clairvoyant_slot_ratio

    # the oracle needs 1 slot, then 3 for 10 s, then 1: with two changes a schedule follows it exactly,
    # with none it must hold 3 slots throughout
    oracle = [1] * 20 + [3] * 10 + [1] * 20
    assert clairvoyant_slot_ratio(oracle, 2, 8) == 1.0
    assert clairvoyant_slot_ratio(oracle, 0, 8) == 150 / 70


def test_generated_traces_depend_on_shape_and_seed_only() -> None:
    from scaling_traces import HIGH, LOW, SHAPES, trace

    for shape in SHAPES:
        a, b = trace(shape, 1, 600), trace(shape, 1, 600)
        assert a == b and a != trace(shape, 2, 600)
        assert all(LOW <= r <= HIGH for _, r in a) and a[-1][0] == 600
