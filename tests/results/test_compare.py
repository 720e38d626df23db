"""compare: two runs of the same experiment with different strategies; the table shows the difference."""

from __future__ import annotations

from pathlib import Path

from scaletui.results.compare import COMPARE_MD, compare_runs
from tests.results.conftest import RecordRun
from tests.results.test_report import png_size


def test_two_strategies_side_by_side(make_run: RecordRun, tmp_path: Path) -> None:
    a = make_run("transscale")
    b = make_run("threshold", slow_factor=2.0)  # during the fault this one achieves 600 rec/s instead of 800
    result = compare_runs([a, b], tmp_path / "cmp")
    lines = result.table.splitlines()
    assert lines[0] == "| metric | A: transscale | B: threshold | Δ B − A |"
    achieved = next(line for line in lines if line.startswith("| throughput achieved"))
    # A: (8*1000 + 2*800)/10 = 960; B: (8*1000 + 2*600)/10 = 920; B - A = -40 (-4.2 %)
    assert achieved == (
        "| throughput achieved (mean) | 960.0 rec/s (96.0% of target) | "
        "920.0 rec/s (92.0% of target) | -40.0 rec/s (-4.2%) |"
    )
    assert "| rescales | 1 | 1 | +0 (+0.0%) |" in lines
    assert "| SLO | FAIL | FAIL | — |" in lines
    text = (tmp_path / "cmp" / COMPARE_MD).read_text()
    assert result.table in text and str(a) in text and str(b) in text
    assert [p.name for p in result.plots] == [
        "throughput_overlay.png",
        "latency_overlay.png",
        "parallelism_overlay.png",
    ]
    assert all(png_size(p) == (900, 360) for p in result.plots)


def test_three_runs_have_no_delta_column(make_run: RecordRun, tmp_path: Path) -> None:
    runs = [make_run(name) for name in ("none", "ds2", "transscale")]
    table = compare_runs(runs, tmp_path / "cmp3").table
    assert table.splitlines()[0] == "| metric | A: none | B: ds2 | C: transscale |"


def test_same_strategy_runs_are_told_apart_by_experiment(make_run: RecordRun, tmp_path: Path) -> None:
    a, b = make_run("none"), make_run("none")
    table = compare_runs([a, b], tmp_path / "same").table
    assert table.splitlines()[0] == f"| metric | A: {a.name} | B: {b.name} | Δ B − A |"
