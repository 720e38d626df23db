"""What the user (or the experiment file's timeline) did by hand is recorded apart from the autoscaler's decisions:
a StepTaken per step in state.jsonl, live on the bus, and back in replay; report.md lists them in a Timeline
(review 34 F23) and the PNG plots mark the changes by hand with their own line and legend entry. Simulator runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import tomli_w

from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.events import StepTaken
from scaletui.headless.runner import run_experiment_file
from scaletui.results import layout
from scaletui.results.decision_rows import STEP_LEGEND
from scaletui.results.playback import read_events
from scaletui.results.plots import STEP_COLOR, mark_events
from scaletui.results.rundata import load_run
from scaletui.results.timeline import timeline_rows

ROOT = Path(__file__).parents[2]
EXPERIMENT = """\
[experiment]
name = "hand-steps"
platform = "simulator"
duration = "4m"
teardown = "stop"

[job]
taskmanagers = 2
slots_per_taskmanager = 2
cost_ms = 2.0

[load]
profile = "constant"
rate = 300

[strategy]
name = "none"
interval = "15s"
window = "15s"
cooldown = "30s"
max_parallelism = 8
max_taskmanagers = 4
max_slots = 8

[[timeline]]
at = "10s"
do = "strategy"
name = "ds2"

[[timeline]]
at = "60s"
do = "rescale"
operator = "expensive"
parallelism = 3

[[timeline]]
at = "90s"
do = "taskmanagers"
count = 3

[[timeline]]
at = "2m"
do = "resume"

[[timeline]]
at = "150s"
do = "dry-run"
"""


def settings(tmp_path: Path) -> Path:
    path = tmp_path / "scaletui.toml"
    paths = {p: str(tmp_path / p) for p in ("sessions", "results", "cache")} | {"conf": str(ROOT / "conf")}
    path.write_text(tomli_w.dumps({"paths": paths}))
    return path


@pytest.fixture(scope="module")
def timeline_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The experiment above run as `--script` runs it: a rescale by hand that pauses ds2, TaskManagers set, resume,
    dry-run."""
    tmp = tmp_path_factory.mktemp("hand")
    experiment = tmp / "hand-steps.toml"
    experiment.write_text(EXPERIMENT)
    assert run_experiment_file(experiment, config_file=str(settings(tmp))) == 0
    (run,) = [p for p in (tmp / "results").glob("*/*") if (p / layout.RUN_META).is_file()]
    return run


def test_each_timeline_step_is_recorded_at_the_time_it_started_as_from_the_file(timeline_run: Path) -> None:
    records = map(json.loads, (timeline_run / layout.STATE).read_text().splitlines())
    steps = [r for r in records if r["type"] == "StepTaken"]
    said = [(r["step"]["do"], r["by"], r["ok"]) for r in steps]
    assert said == [(do, "file", True) for do in ("strategy", "rescale", "taskmanagers", "resume", "dry-run")]
    at = {r["step"]["do"]: r["t_s"] for r in steps}
    # on the simulated clock a TaskManager start moves time: the step is dated when it began, not when it ended
    assert at["rescale"] == pytest.approx(60, abs=1.5) and at["taskmanagers"] == pytest.approx(90, abs=1.5)
    assert steps[2]["message"] == "TaskManagers: 1 -> 3.", "what it did (ds2 had gone down to 1)"
    replayed = [e for e in read_events(timeline_run) if isinstance(e, StepTaken)]
    assert [e.step["do"] for e in replayed] == [r["step"]["do"] for r in steps], "the replay does not get them"


def test_the_report_has_a_timeline_and_says_dry_run_and_the_taskmanagers_changed(timeline_run: Path) -> None:
    text = (timeline_run / layout.REPORT).read_text()
    timeline = text[text.index("## Timeline") : text.index("## Decisions")]
    assert "| rescale expensive to 3 | experiment file | expensive: " in timeline
    assert "| autoscaler paused | — | ds2: expensive set to 3 by hand;" in timeline, "the pause the rescale made"
    assert "| TaskManagers to 3 | experiment file | TaskManagers: 1 -> 3. |" in timeline
    assert "| resume | experiment file | Autoscaler resumed. |" in timeline
    assert "| dry-run on | experiment file | Dry-run on: decisions are shown, not applied. |" in timeline
    assert "autoscaler resumed" not in timeline, "a resume the timeline's step already says is listed twice"
    decisions = text[text.index("## Decisions") :].splitlines()
    rows = [line.split(" | ") for line in decisions if line.startswith("| ") and line[2].isdigit()]
    after = [row for row in rows if float(row[0][2:]) >= 150]
    assert after and {row[1] for row in after} <= {"dry-run", "- (dry-run on)"}, after
    assert all(row[1] not in ("dry-run", "- (dry-run on)") for row in rows if float(row[0][2:]) < 150)
    changed = [row for row in rows if "→" in row[3]]
    assert changed, "no decision changed the TaskManagers"
    for row in changed:
        before, after_tms = (int(n) for n in row[3].split(" → "))
        assert before != after_tms


def test_the_png_plots_mark_the_changes_by_hand_in_their_own_colour(timeline_run: Path) -> None:
    from matplotlib.figure import Figure

    data = load_run(timeline_run)
    ax = Figure().add_subplot()
    mark_events(ax, data)
    handles, labels = ax.get_legend_handles_labels()
    assert STEP_LEGEND in labels and "decision" in labels
    assert "by hand" not in labels, "the file's steps (this run has no other) are marked as taken by hand"
    hand = handles[labels.index(STEP_LEGEND)]
    assert hand.get_colors()[0][:3] == pytest.approx(tuple(int(STEP_COLOR[i : i + 2], 16) / 255 for i in (1, 3, 5)))
    times = sorted(seg[0][0] for seg in hand.get_segments())
    assert times == pytest.approx([60, 90], abs=1.5), "the rescale and the TaskManagers set, nothing else"


def test_a_step_by_hand_in_a_live_session_is_published_and_recorded_as_by_hand(tmp_path: Path) -> None:
    config = load_app_config(str(settings(tmp_path)))
    with Engine(config) as app:
        app.live.start("simulator")
        heard: list[StepTaken] = []
        app.bus.subscribe(heard.append, StepTaken)  # type: ignore[arg-type]
        asked = time.time()
        app.live.change_taskmanagers(+1)
        assert [(e.step["do"], e.by, e.ok) for e in heard] == [("taskmanagers", "hand", True)]
        count = heard[0].step["count"]
        assert asked <= heard[0].ts <= time.time()
        assert list(app.series.steps_taken) == heard, "the plots' series do not hold it"
        app.live.stop()
    results = max((p for p in (tmp_path / "results").glob("*/*") if (p / layout.RUN_META).is_file()), key=str)
    rows = timeline_rows(load_run(results))
    assert [(r.step, r.by) for r in rows if r.by != "—"] == [(f"TaskManagers to {count}", "by hand")]
