"""benchmarks/scaling.py end to end on short runs: the table, a replayed trace, a plot, and a bad trace."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
    code = bench.main(
        ["--duration", "5m", "--loads", "step", "--trace", str(trace), "--out", str(tmp_path / "out"), "--dt", "0.5"]
    )
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0] in bench.STRATEGIES]
    assert {(r[0], r[1]) for r in rows} >= {(s, load) for s in bench.STRATEGIES for load in ("step", "burst")}
    assert "predicted / measured capacity" in out
    assert (tmp_path / "out" / "scaling-burst.png").stat().st_size > 10_000


def test_bad_trace_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text("t,rate\n0,abc\n")
    assert load_benchmark().main(["--trace", str(trace), "--loads", ""]) == 2
    assert "line 2 expected numbers" in capsys.readouterr().err
