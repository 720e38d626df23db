"""Recorded runs built from the synthetic stream in stream.py, shared by the results tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scaletui.events import EventBus
from scaletui.results.recorder import RunRecorder
from tests.results.stream import events, write_experiment

RecordRun = Callable[..., Path]


def record_run(
    root: Path,
    strategy: str = "transscale",
    slow_factor: float = 1.0,
    *,
    report: bool = True,
    session: str = "s1",
    steps: int = 10,
) -> Path:
    """Publish the stream on a real EventBus with a RunRecorder subscribed; returns the closed run's directory."""
    root.mkdir(parents=True, exist_ok=True)
    experiment = write_experiment(root / f"{strategy}.toml", strategy)
    bus = EventBus()
    start = time.time() - steps - 1
    recorder = RunRecorder(
        root / "results",
        session,
        experiment_file=experiment,
        bus=bus,
        started_at=start,
        experiment_name=f"step-delay-{strategy}",
    )
    for event in events(start, strategy, slow_factor, steps):
        bus.publish(event)
    return recorder.close("done", report=report)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fully closed run (with Parquet, report and plots), read-only for the tests that share it."""
    return record_run(tmp_path_factory.mktemp("recorded"))


@pytest.fixture
def make_run(tmp_path: Path) -> RecordRun:
    def make(strategy: str = "transscale", slow_factor: float = 1.0, report: bool = False, steps: int = 10) -> Path:
        return record_run(tmp_path / strategy, strategy, slow_factor, report=report, steps=steps)

    return make
