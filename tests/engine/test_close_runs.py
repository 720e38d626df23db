"""Closing the session while an experiment from the run history runs: the close waits for its teardown as the live
session's stop does, and says when the teardown still runs (review 38 F3). On the simulator."""

from __future__ import annotations

import threading
import time

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from tests.engine.test_live_runs import until


def test_closing_waits_for_an_experiments_teardown_and_says_when_it_has_not_ended(
    app_config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 38 F3: closing the session (the quit, a stop signal) cancelled an experiment from the run history and
    waited 60 s for it, the time its run may spend on a rescale under way, so the process ended during its
    teardown: the cluster left running, the run 'running', and nothing said. It waits as the live session's stop
    does (STOP_WAIT_S, made short here) and says so when the teardown still runs; `run_active` tells the launcher
    to say the close stops a cluster."""
    from scaletui.engine import runs
    from scaletui.engine.experiment import ExperimentRun
    from scaletui.events import ErrorEvent

    tearing_down, go_on = threading.Event(), threading.Event()
    real_teardown = ExperimentRun._teardown

    def slow_teardown(run: ExperimentRun, *args: object) -> None:
        tearing_down.set()
        go_on.wait(60)
        real_teardown(run, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ExperimentRun, "_teardown", slow_teardown)
    monkeypatch.setattr(runs, "STOP_WAIT_S", 0.5, raising=False)
    engine = Engine(app_config, "closing")
    errors: list[str] = []
    engine.bus.subscribe(lambda e: errors.append(e.message), ErrorEvent)  # type: ignore[attr-defined]
    try:
        engine.experiments.start(engine.conf_dir / "experiments" / "sim-hour-ds2.toml")
        until(lambda: engine.experiments.current and engine.experiments.current.ready.is_set(), "the run to begin")
        assert engine.run_active()
        began = time.monotonic()
        engine.close()
        assert time.monotonic() - began < 30, "the close waited its own 60 s, not the live session's STOP_WAIT_S"
        assert tearing_down.is_set()
        assert any(m.startswith("The experiment had not stopped when the session closed") for m in errors), errors
    finally:
        go_on.set()
        until(lambda: not engine.experiments.running, "the experiment's thread to end")
