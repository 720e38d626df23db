"""report.md and its plots: numbers checked against the hand-computed EXPECTED, regenerated from the directory."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from scaletui.results import layout
from scaletui.results.report import write_report
from scaletui.results.rundata import load_run
from scaletui.results.summary import summarize
from tests.results.stream import EXPECTED

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk; fails unless the file is a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_summary_numbers_match_the_hand_computed_case(run_dir: Path) -> None:
    summary = summarize(load_run(run_dir))
    for key, expected in EXPECTED.items():
        assert summary.value(key) == pytest.approx(expected), key
    assert summary.slo is not None and not summary.slo.passed
    assert summary.value("duration_s") == 10.0  # the job's samples, not the teardown after them


def test_report_table_shows_the_numbers(run_dir: Path) -> None:
    text = (run_dir / layout.REPORT).read_text()
    for row in (
        "| throughput target (mean) | 1,000.0 rec/s |",
        "| throughput achieved (mean) | 960.0 rec/s (96.0% of target) |",
        "| latency p50 | 10.0 ms |",
        "| latency p95 | 20.0 ms |",
        "| latency p99 | 48.0 ms |",
        "| duration | 10.0 s |",
        "| SLO violation | 2.0 s of 10.0 s: 2.0 s above the 100 ms bound, 0.0 s with no latency measured |",
        "| rescales | 1 |",
        "| slot-seconds | 24.0 |",
        "| faults | 1 |",
    ):
        assert row in text, row
    assert "FAIL: p99 latency was under 100 ms for 80.0%" in text
    assert "| f1 | delay | tm-1, tm-2 | latency_ms=100 mode=all | 5.5 | 7.5 |" in text
    assert "| 6.2 | yes | source=1, map=3, sink=1 | 2 | map busy 70% > 60% |" in text


def test_plots_are_valid_pngs_linked_from_the_report(run_dir: Path) -> None:
    text = (run_dir / layout.REPORT).read_text()
    for name in ("throughput", "latency", "parallelism", "resources"):
        path = run_dir / layout.PLOTS_DIR / f"{name}.png"
        assert png_size(path) == (900, 360)
        assert f"](plots/{name}.png)" in text


def test_report_regenerates_from_the_directory_alone(run_dir: Path, tmp_path: Path) -> None:
    """A copy moved elsewhere, report and plots deleted: `report` rebuilds the same summary table."""
    copy = shutil.copytree(run_dir, tmp_path / run_dir.name)
    original = (copy / layout.REPORT).read_text()
    (copy / layout.REPORT).unlink()
    shutil.rmtree(copy / layout.PLOTS_DIR)
    write_report(copy)
    rebuilt = (copy / layout.REPORT).read_text()
    table = original[original.index("## Summary") : original.index("## Plots")]
    assert table in rebuilt
    assert png_size(copy / layout.PLOTS_DIR / "latency.png") == (900, 360)


def test_run_without_faults_decisions_or_latency(tmp_path: Path) -> None:
    """A bare run: the report says what is unknown (—) instead of inventing zeros."""
    run = tmp_path / "bare"
    run.mkdir()
    (run / layout.METRICS_CSV).write_text(
        "ts,t_s,operator,parallelism,target_rate,achieved_rate\n100.0,0.0,map,2,500,490\n101.0,1.0,map,2,500,510\n"
    )
    text = write_report(run, plots=False).read_text()
    assert "| throughput achieved (mean) | 500.0 rec/s (100.0% of target) |" in text
    assert "| latency p99 | — |" in text and "| slot-seconds | 4.0 |" in text
    assert "## Faults" not in text and "| SLO" not in text


def test_the_report_names_every_strategy_the_timeline_switched_to(tmp_path: Path) -> None:
    """A live session begun with no autoscaler and `a` pressed later: the report said "strategy: none"."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / layout.RUN_META).write_text('{"run_id": "run", "status": "done"}')
    (run_dir / layout.EXPERIMENT).write_text(
        '[experiment]\nname = "live"\nduration = 600\n[strategy]\nname = "none"\n'
        '[[timeline]]\nat = 98.1\ndo = "strategy"\nname = "transscale"\n'
        '[[timeline]]\nat = 130\ndo = "strategy"\nname = "transscale"\n'
        '[[timeline]]\nat = "6m40s"\ndo = "strategy"\nname = "ds2"\n'
    )
    data = load_run(run_dir)
    assert data.strategy == "none, transscale from 1m38s, ds2 from 6m40s", "a time written as text is read, not 0s"


def test_the_problems_section_shows_the_first_errors_and_counts_the_rest(tmp_path: Path) -> None:
    """The report opens with its Problems: a run that failed the same way every second must not bury the summary
    under hundreds of rows, nor lose the count of what errors.jsonl holds beyond them."""
    import json

    from scaletui.results.report import MAX_PROBLEM_ROWS

    run = tmp_path / "failing"
    run.mkdir()
    (run / layout.METRICS_CSV).write_text(
        "ts,t_s,operator,parallelism,target_rate,achieved_rate\n100.0,0.0,map,2,500,490\n101.0,1.0,map,2,500,510\n"
    )
    errors = [{"ts": 100.0 + n, "source": "run", "message": f"Timeline fault at {n}s: refused."} for n in range(27)]
    (run / layout.ERRORS).write_text("".join(json.dumps(e) + "\n" for e in errors))
    text = write_report(run, plots=False).read_text()
    problems = text[text.index("## Problems") : text.index("## Summary")]
    assert problems.count("| run | Timeline fault at") == MAX_PROBLEM_ROWS < 27
    assert f"Timeline fault at {MAX_PROBLEM_ROWS - 1}s: refused." in problems
    assert f"{27 - MAX_PROBLEM_ROWS} more in {layout.ERRORS}." in problems


def test_the_target_is_drawn_over_the_achieved_rate_and_the_markers_differ(run_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Review 34 F16: the target (orange, dashed) was hidden under the achieved rate, and "decision" and "decision
    (kept)" were two nearly identical greys."""
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    from scaletui.results import plots

    saved: dict[str, Figure] = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: saved.setdefault(path.name, fig) and path)
    plots.plot_run(load_run(run_dir), run_dir / "unused")
    ax = saved["throughput.png"].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["target"].get_zorder() > lines["achieved"].get_zorder()
    assert lines["achieved"].get_alpha() is not None and lines["achieved"].get_alpha() < 1
    handles, labels = ax.get_legend_handles_labels()
    colours = {label: to_hex(handles[labels.index(label)].get_colors()[0], keep_alpha=False)
               for label in ("decision", "decision (kept)")}  # fmt: skip
    assert colours == {"decision": plots.DECISION_COLOR, "decision (kept)": plots.KEPT_COLOR}
    assert len({plots.DECISION_COLOR, plots.KEPT_COLOR, plots.STEP_COLOR}) == 3


def test_a_failed_step_and_a_pause_no_step_states_are_in_the_timeline(tmp_path: Path) -> None:
    """The Timeline lists a step that failed as failed, and an autoscaler pause that came with no pause step (a
    rescale by hand, a failover) on a row of its own; a pause that a pause step made is not listed twice."""
    import json

    run = tmp_path / "run"
    run.mkdir()
    (run / layout.RUN_META).write_text('{"run_id": "run", "status": "done", "origin": 100.0}')
    (run / layout.METRICS_CSV).write_text("ts,t_s,operator,parallelism\n100.0,0.0,map,2\n200.0,100.0,map,2\n")
    state = [
        {"type": "StrategyChanged", "ts": 100.0, "name": "ds2", "paused": False, "dry_run": False},
        {"type": "StepTaken", "ts": 120.0, "step": {"do": "rescale", "operator": "nosuch", "parallelism": 3},
         "by": "hand", "ok": False, "message": "The job has no operator named 'nosuch'."},
        {"type": "StrategyChanged", "ts": 130.0, "name": "ds2", "paused": True, "message": "the job failed over"},
        {"type": "StrategyChanged", "ts": 140.0, "name": "ds2", "paused": False},
        {"type": "StepTaken", "ts": 150.0, "step": {"do": "pause"}, "by": "hand", "message": "Autoscaler paused."},
        {"type": "StrategyChanged", "ts": 150.0, "name": "ds2", "paused": True, "message": "paused by the user"},
    ]  # fmt: skip
    (run / layout.STATE).write_text("".join(json.dumps(r) + "\n" for r in state))
    text = write_report(run, plots=False).read_text()
    timeline = text[text.index("## Timeline") :].split("\n\n")[1].splitlines()[2:]
    assert timeline == [
        "| 20.0 | rescale nosuch to 3 | by hand | failed: The job has no operator named 'nosuch'. |",
        "| 30.0 | autoscaler paused | — | ds2: the job failed over |",
        "| 40.0 | autoscaler resumed | — | ds2 |",
        "| 50.0 | pause | by hand | Autoscaler paused. |",
    ]


def test_the_timeline_shows_the_loop_settings_a_strategy_step_changed() -> None:
    """`:strategy ds2 interval=5s` read "strategy ds2" in the Timeline (review 35 F3)."""
    from scaletui.config.models import StrategyStep
    from scaletui.results.timeline import step_text

    def recorded(**fields: object) -> dict[str, object]:
        return StrategyStep(at=0, do="strategy", **fields).model_dump(mode="json", exclude={"at"})  # type: ignore[arg-type]

    assert step_text(recorded(name="ds2", interval="5s")) == "strategy ds2 interval=5s"
    assert step_text(recorded(name="none", cooldown="30s")) == "strategy none cooldown=30s"
    assert step_text(recorded(name="ds2", params={"a": 1}, window="90s")) == "strategy ds2 (a=1) window=1m30s"
    assert step_text(recorded(name="ds2")) == "strategy ds2"
