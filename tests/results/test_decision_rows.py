"""report.md's Decisions and the decision history (h) tell a decision by one rule (review 35 F5)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from scaletui.events import DecisionEvent
from scaletui.results.decision_rows import entries
from scaletui.results.records import event_record
from scaletui.results.report import render_report
from scaletui.results.rundata import load_run
from scaletui.results.summary import summarize
from scaletui.tui.widgets.chart_data import decision_marks


def _decisions(t0: float) -> list[DecisionEvent]:
    """A rescale 1→2 with TaskManagers 1→2, then a keep recorded with no "from" at all (an older run), then one in
    dry-run; then a keep while dry-run is on."""
    return [
        DecisionEvent(ts=t0 + 1, strategy="ds2", parallelism={"op": 2}, taskmanagers=2, reason="up", applied=True,
                      before={"op": 1}, taskmanagers_before=1),
        DecisionEvent(ts=t0 + 2, strategy="ds2", parallelism={"op": 2}, taskmanagers=3, reason="tm", applied=True,
                      taskmanagers_before=None),
        DecisionEvent(ts=t0 + 3, strategy="ds2", parallelism={"op": 4}, taskmanagers=3, reason="try", applied=False,
                      dry_run=True, before={"op": 2}, taskmanagers_before=3),
        DecisionEvent(ts=t0 + 4, strategy="ds2", parallelism={"op": 2}, taskmanagers=3, reason="same", applied=False,
                      before={"op": 2}, taskmanagers_before=3),
    ]  # fmt: skip


def test_the_report_says_what_the_history_says_and_takes_the_previous_from(run_dir: Path) -> None:
    data = load_run(run_dir)
    decisions = _decisions(data.start)
    dry_run = {"type": "StrategyChanged", "ts": data.start + 2.5, "name": "ds2", "dry_run": True}
    data = dataclasses.replace(data, decisions=[event_record(d) for d in decisions], state=[*data.state, dry_run])
    text = render_report(data, summarize(data), [])
    rows = [line for line in text.splitlines() if line.startswith("| ") and "| ds2" not in line]
    decision_rows = rows[-4:]
    # taskmanagers_before recorded as None: the "from" is the previous decision's 2, so it is a change 2 → 3
    assert "| yes | op=2 | 2 → 3 |" in decision_rows[1], decision_rows
    assert "| dry-run |" in decision_rows[2]
    assert "| - (dry-run on) |" in decision_rows[3], "a keep reads as the history's '-', marked in dry-run"
    assert [e.applied for e in entries(decisions)] == ["yes", "yes", "dry-run", "-"]
    assert [e.change for e in entries(decisions)][1] == "TMs 2→3"
    assert [label for _, label in decision_marks(decisions)] == ["↑2", "TM3"]


def test_the_run_summary_marks_the_recorded_steps_as_taken(run_dir: Path, tmp_path: Path) -> None:
    """The run summary read the steps as they were recorded, not rebuilt with `by` "hand" and no message (F8)."""
    from scaletui.events import StepTaken
    from scaletui.results import layout
    from scaletui.tui.screens.run_summary import recorded_marks

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    step = StepTaken(ts=load_run(run).start + 5, step={"do": "taskmanagers", "count": 2}, by="file", message="TMs.")
    with (run / layout.STATE).open("a", encoding="utf-8") as state:
        state.write(json.dumps(event_record(step)) + "\n")
    _, steps = recorded_marks(run)
    assert steps == [step]
