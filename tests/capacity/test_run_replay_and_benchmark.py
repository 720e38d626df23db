"""A run's recorded node telemetry replays offline; the benchmark script prints its table and writes its PNGs."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from scaletui.capacity.traces import load_trace
from scaletui.errors import ConfigError
from scaletui.metrics.model import JobSample, NodeSample
from scaletui.results.records import NODES_COLUMNS, node_rows

ROOT = Path(__file__).resolve().parents[2]


def test_a_runs_nodes_csv_replays_as_a_trace(tmp_path: Path):
    """The results recorder's nodes.csv (its own columns and cell rules) is read as is, file or run directory."""
    run = tmp_path / "results" / "s" / "run-1"
    run.mkdir(parents=True)
    samples = [
        JobSample(
            ts=100.0 + t,
            nodes={
                "tm-1": NodeSample("tm-1", cpu_cores=0.5 * t, cpu_total=4.0, memory_bytes=1000 + t, memory_total=8000),
                "tm-2": NodeSample("tm-2", cpu_cores=None, cpu_total=2.0),
            },
        )
        for t in range(3)
    ]
    with (run / "nodes.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(NODES_COLUMNS)
        for sample in samples:
            writer.writerows(node_rows(sample, 100.0))
    for given in (run, run / "nodes.csv"):
        trace = load_trace(given)
        assert trace.nodes["tm-1"].cpu == (0.0, 0.5, 1.0) and trace.nodes["tm-1"].memory_total == 8000
        assert trace.nodes["tm-2"].cpu == (None, None, None) and trace.nodes["tm-2"].cpu_total == 2.0
    with pytest.raises(ConfigError, match="without nodes.csv"):
        load_trace(tmp_path)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("capacity_bench", ROOT / "benchmarks" / "capacity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["capacity_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_traces_have_the_asked_shape(bench):
    for kind in bench.KINDS:
        trace = bench.generate(kind, nodes=2, scopes=10, per_scope=5)
        assert len(trace.nodes) == 2
        for series in trace.nodes.values():
            assert len(series.ts) == 50 and all(0 <= v <= series.cpu_total for v in series.cpu)
    inc = bench.generate("increasing", nodes=1, scopes=10, per_scope=5)
    cpu = next(iter(inc.nodes.values())).cpu
    assert sum(cpu[-5:]) > sum(cpu[:5]) * 3


def test_benchmark_prints_table_and_writes_pngs(bench, tmp_path: Path, capsys):
    replay = tmp_path / "run.csv"
    replay.write_text(
        "ts,node,cpu_cores,memory_bytes,cpu_total,memory_total\n"
        + "".join(f"{t},tm,{1 + (t % 7) / 7},{2e9},4,8e9\n" for t in range(120))
    )
    code = bench.main(
        [
            "--out",
            str(tmp_path / "out"),
            "--scopes",
            "12",
            "--nodes",
            "1",
            "--replay",
            str(replay),
            "--replay-scope",
            "10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    rows = {tuple(line.split()[:2]) for line in out.splitlines()}
    for trace in ("generated:increasing", "generated:bursty", "replay:run.csv"):
        for label in bench.STRATEGIES:
            assert (trace, label) in rows
    assert "all generated" in out
    assert (tmp_path / "out" / "capacity-summary.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "capacity-timelines.png").stat().st_size > 10_000


def test_benchmark_names_a_bad_replay_file(bench, tmp_path: Path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,node\n1,a\n")
    assert bench.main(["--out", str(tmp_path), "--scopes", "2", "--nodes", "1", "--no-plot", "--replay", str(bad)]) == 2
    assert f"{bad}: not a usable trace" in capsys.readouterr().err


def test_benchmark_sweep_lists_each_parameter(bench, tmp_path: Path, capsys):
    assert bench.main(["--out", str(tmp_path), "--scopes", "6", "--nodes", "1", "--no-plot", "--sweep"]) == 0
    out = capsys.readouterr().out.split("sweep (all generated)")[1]
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
    assert [r[0] for r in rows] == list(bench.SWEEP)
    assert all(0 <= float(v) <= 100 for r in rows for v in r[1:])
