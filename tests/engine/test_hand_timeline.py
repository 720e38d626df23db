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


def test_the_duration_covers_every_second_the_run_ran(tmp_path: Path) -> None:
    """A run stopped at 140.4 s was written as 140 s long: its re-run ended before the decision it made at 140.1 s."""
    path = tmp_path / "experiment.toml"
    hand = HandTimeline(path, Experiment(experiment=ExperimentInfo(name="live", duration=3600)))
    hand.write(140.4)
    assert tomllib.loads(path.read_text())["experiment"]["duration"] == 141
    hand.write(140.0)
    assert tomllib.loads(path.read_text())["experiment"]["duration"] == 140
