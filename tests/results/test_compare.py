"""compare: two runs of the same experiment with different strategies; the table shows the difference."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scaletui.results.compare import COMPARE_MD, compare_runs
from scaletui.results.plots import overlay_figures
from scaletui.results.rundata import load_run
from tests.results.conftest import RecordRun
from tests.results.test_report import png_size


def test_two_strategies_side_by_side(make_run: RecordRun, tmp_path: Path) -> None:
    a = make_run("transscale")
    b = make_run("threshold", slow_factor=2.0)  # during the fault this one achieves 600 rec/s instead of 800
    result = compare_runs([a, b], tmp_path / "cmp")
    lines = result.table.splitlines()
    assert (
        lines[0] == "| metric | A: step-delay-transscale (transscale) | B: step-delay-threshold (threshold) | Δ B − A |"
    )
    assert lines[2] == "| status | done | done | — |"
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
    assert "crowded" not in text and result.notes == []
    assert [p.name for p in result.plots] == [
        "throughput_overlay.png",
        "latency_overlay.png",
        "parallelism_overlay.png",
    ]
    assert all(png_size(p) == (900, 360) for p in result.plots)  # a short legend stays beside the plot


def test_runs_with_the_same_target_share_one_target_line(make_run: RecordRun) -> None:
    runs = [load_run(make_run(name)) for name in ("transscale", "threshold")]
    fig = overlay_figures(runs, ["A", "B"], ["A one", "B two"])["throughput_overlay.png"]
    targets = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("target")]
    assert [(t.get_label(), t.get_color(), t.get_linestyle()) for t in targets] == [("target", "black", ":")]
    assert len(fig.axes[0].texts) == 0  # one target: no need to say whose
    runs_lines = [line for line in fig.axes[0].get_lines() if line not in targets]
    assert all(targets[0].get_zorder() > line.get_zorder() for line in runs_lines), "a run meeting it hides it"


def test_three_runs_are_headed_like_two_and_a_failed_run_is_flagged(make_run: RecordRun, tmp_path: Path) -> None:
    """One heading rule for any number of runs (letter, short name, strategy), and each run's status in the table:
    a failed run's empty cells are explained beside them."""
    runs = [make_run(name) for name in ("none", "ds2", "transscale")]
    meta = json.loads((runs[1] / "run.json").read_text())
    (runs[1] / "run.json").write_text(json.dumps({**meta, "status": "failed"}))
    lines = compare_runs(runs, tmp_path / "cmp3").table.splitlines()
    assert lines[0] == (
        "| metric | A: step-delay-none (none) | B: step-delay-ds2 (ds2) | C: step-delay-transscale (transscale) |"
    )
    assert lines[2] == "| status | done | **failed** | done |"
    two = compare_runs(runs[::2], tmp_path / "cmp2").table.splitlines()
    assert two[0] == "| metric | A: step-delay-none (none) | B: step-delay-transscale (transscale) | Δ B − A |"


def test_same_strategy_runs_are_told_apart_by_run_id(make_run: RecordRun, tmp_path: Path) -> None:
    a, b = make_run("none"), make_run("none")
    table = compare_runs([a, b], tmp_path / "same").table

    def short(run: Path) -> str:  # 20261207T075500Z-step-delay-none-2 -> 075500Z-2
        return run.name[9:16] + run.name[len("20261207T075500Z-step-delay-none") :]

    assert short(a) != short(b)
    assert table.splitlines()[0] == (
        f"| metric | A: step-delay-none (none) {short(a)} | B: step-delay-none (none) {short(b)} | Δ B − A |"
    )


LOADS = (300, 600, 600, 900, 900, 900, 1200, 1200, 1500, 1500, 1500, 3000, 3000)
"""A scalability benchmark's 13 trials, as in the review (F22): loads repeat at higher parallelism."""


def trial_runs(run: Path, root: Path) -> list[Path]:
    """Copies of one recorded run as scalability trials: named `<load>/p<P>`, each with its load as the target."""
    runs = []
    for i, load in enumerate(LOADS):
        name = f"step-delay-scalability-{load}-p{i + 1}"
        copy = Path(shutil.copytree(run, root / f"20261207T0729{i:02d}Z-{name}"))
        meta = json.loads((copy / "run.json").read_text())
        (copy / "run.json").write_text(json.dumps({**meta, "experiment": name, "run_id": copy.name}))
        with (copy / "metrics.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row["target_rate"] = str(load)
        with (copy / "metrics.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        runs.append(copy)
    return runs


def drawn(fig: Figure) -> Figure:
    FigureCanvasAgg(fig).draw()
    return fig


def test_many_runs_keep_the_overlays_readable(make_run: RecordRun, tmp_path: Path) -> None:
    """13 runs: every run has its own colour and line style, the legend is whole and below the plot, which keeps
    its height; one target line per distinct target; compare.md says the overlay is crowded."""
    dirs = trial_runs(make_run("none"), tmp_path / "session")
    result = compare_runs(dirs, tmp_path / "cmp")
    assert result.table.splitlines()[0].startswith("| metric | A: 300/p1 (none) | B: 600/p2 (none) |")
    assert all(png_size(p)[0] == 900 and png_size(p)[1] > 400 for p in result.plots)
    assert len(result.notes) == 1 and "13 runs" in result.notes[0] and str(dirs[0]) in result.notes[0]
    assert f"> {result.notes[0]}" in (tmp_path / "cmp" / COMPARE_MD).read_text()

    runs = [load_run(d) for d in dirs]
    letters = [chr(ord("A") + i) for i in range(len(runs))]
    figures = overlay_figures(runs, letters, [f"{x} run" for x in letters])
    for name, fig in figures.items():
        drawn(fig)
        ax = fig.axes[0]
        assert ax.get_window_extent().height >= 200, name
        legend = fig.legends[0]
        box, whole = legend.get_window_extent(), fig.bbox
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= whole.x1 and box.y1 <= whole.y1, name
        assert len(legend.get_texts()) == len(ax.get_legend_handles_labels()[1]), name
        lines = [line for line in ax.get_lines() if line.get_label().endswith(" run")]
        assert len(lines) == len(runs), name
        assert len({(line.get_color(), line.get_linestyle()) for line in lines}) == len(runs), name
    throughput = figures["throughput_overlay.png"].axes[0]
    targets = [line for line in throughput.get_lines() if line.get_linestyle() == ":"]
    assert len(targets) == len(set(LOADS)) and {t.get_color() for t in targets} == {"black"}
    assert [t.get_label() for t in targets].count("target") == 1  # one legend entry for them all
    assert [text.get_text() for text in throughput.texts] == ["A", "B C", "D–F", "G H", "I–K", "L M"]


def test_the_same_run_twice_is_said(make_run: RecordRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Review 34 F5: `compare A A` printed a table of Δ +0 with no word that both columns are one run."""
    from scaletui.cli import main

    a = make_run("transscale")
    assert main(["compare", str(a), str(a / ".." / a.name), "--out", str(tmp_path / "cmp")]) == 0
    said = f"Note: A and B are the same run ({a / '..' / a.name})."
    assert said in capsys.readouterr().out.splitlines()
    assert f"> {said}" in (tmp_path / "cmp" / COMPARE_MD).read_text()


def rewritten(run: Path, name: str, duration: str, load: str | None = None) -> Path:
    """The run as if its experiment file had another name and duration (and load)."""
    toml = (run / "experiment.toml").read_text().replace('duration = "10s"', f'duration = "{duration}"', 1)
    if load is not None:
        toml = toml.replace("rate = 1000", f"rate = {load}")
    (run / "experiment.toml").write_text(toml)
    meta = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**meta, "experiment": name}))
    return run


def test_runs_of_different_loads_or_lengths_are_said(make_run: RecordRun, tmp_path: Path) -> None:
    """Review 34 F5: a 1 h sine against a 20 min step gave Δ rows with no note that the loads differ; the same load
    under another experiment's name (one per strategy) is what compare is for and gets no note."""
    a = make_run("transscale")
    b = rewritten(make_run("ds2", steps=40), "sim-timeline", "40s", load="900")
    result = compare_runs([a, b], tmp_path / "loads")
    assert result.notes == [
        "Note: different experiments (step-delay-transscale vs sim-timeline) and durations (10s vs 40s): "
        "the differences compare different loads."
    ]
    c = rewritten(make_run("none", steps=60), "step-delay-none", "1m")
    assert compare_runs([a, c], tmp_path / "lengths").notes == [
        "Note: different durations (10s vs 1m): totals such as rescales and slot-seconds count over different lengths."
    ]
    three = compare_runs([a, c, b], tmp_path / "three").notes
    assert three == [
        "Note: different experiments (A: step-delay-transscale; B: step-delay-none; C: sim-timeline) and durations "
        "(A: 10s; B: 1m; C: 40s): the differences compare different loads."
    ]


def test_the_durations_noted_are_those_the_table_gives(make_run: RecordRun, tmp_path: Path) -> None:
    """Review 36 W4: a live run the app did not close had `duration = 1.0` in its file, so compare's note said
    `durations (1s vs 20m)` under a table giving 10.0 s. The note takes the lengths the data covers: a file's
    duration that differs from them says nothing, and runs a sample apart are equally long."""
    a = rewritten(make_run("transscale"), "step-delay", "1s")
    same = compare_runs([a, make_run("ds2")], tmp_path / "same")
    assert "| duration | 10.0 s | 10.0 s | +0.0 s (+0.0%) |" in same.table.splitlines()
    assert same.notes == []
    apart = [make_run("none", steps=20), make_run("threshold", steps=21)]
    assert compare_runs(apart, tmp_path / "apart").notes == []
    longer = compare_runs([a, apart[1]], tmp_path / "longer")
    assert "| duration | 10.0 s | 21.0 s | +11.0 s (+110.0%) |" in longer.table.splitlines()
    assert longer.notes == [
        "Note: different durations (10s vs 21s): totals such as rescales and slot-seconds count over different lengths."
    ]
