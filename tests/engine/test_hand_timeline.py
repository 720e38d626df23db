"""The live session's experiment.toml lists what was done by hand in time order, whatever order it was recorded in.

A TaskManager added by hand is recorded when its start ends, a minute after a fault fired meanwhile was recorded:
the file must still read as the session went, and `--script` replays it in that order."""

from __future__ import annotations

import tomllib
from pathlib import Path

from scaletui.config.models import Experiment, ExperimentInfo, FaultStep, TaskManagersStep
from scaletui.engine.timeline import HandTimeline


def test_steps_recorded_out_of_order_are_written_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "experiment.toml"
    hand = HandTimeline(path, Experiment(experiment=ExperimentInfo(name="live", duration=3600)))
    hand.add(FaultStep(at=52.5, do="fault", kind="pause", targets=["taskmanager-1"], duration=20), 53.0)
    hand.add(TaskManagersStep(at=10.25, do="taskmanagers", count=3), 70.0)
    written = tomllib.loads(path.read_text())
    assert [(s["do"], s["at"]) for s in written["timeline"]] == [("taskmanagers", 10.25), ("fault", 52.5)]
    assert written["experiment"]["duration"] == 70
