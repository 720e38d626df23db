"""`scaletui --script FILE`: the experiment runs on the engine with a line printer instead of the TUI.

The run goes in the session's history (the app's Runs list shows it) but leaves the app's live controls and plots
as they were: see `Engine(headless=True)`. Ctrl-C and SIGTERM set the run's cancel event: the run stops at its next
step, reverts faults, tears down as the file says and keeps partial results. Exit codes are those of
scaletui.errors.EXIT_CODES.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.engine.experiment import ExperimentRun, RunResult
from scaletui.engine.prepare import prepare_experiment
from scaletui.headless.printer import ProgressPrinter


def run_experiment_file(
    path: str | Path, *, config_file: str | None = None, session: str | None = None, out: str | None = None
) -> int:
    config = load_app_config(config_file)
    prepared = prepare_experiment(path, config.paths.conf)
    engine = Engine(config, session, headless=True, owner=f"--script {path}")
    printer = ProgressPrinter(prepared.experiment.experiment.duration)
    for line in engine.startup_messages:
        print(f"scaletui: {line}")
    unsubscribe = engine.bus.subscribe(printer)
    cancel = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            return
        cancel.set()
        print(f"\nscaletui: {signal.Signals(signum).name} received, stopping cleanly...", file=sys.stderr)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(
            f"scaletui: experiment {prepared.name} on {prepared.experiment.experiment.platform}, session {engine.name}"
        )
        run = ExperimentRun(engine.ctx, prepared, Path(out) if out else None)
        result = run.execute(cancel)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        printer.close()
        unsubscribe()
        engine.close()
    print(f"scaletui: {said_status(result)}: results in {result.results_dir}")
    if result.message:
        print(f"scaletui: {result.message}", file=sys.stderr)
    return result.exit_code


def said_status(result: RunResult) -> str:
    """A run that ran to its end and missed its SLO is `done, SLO FAIL`, as its run.json and the run history say;
    `failed` is left to runs that broke (the exit code, 5, still tells a script the SLO failed)."""
    return "done, SLO FAIL" if result.status == "failed" and result.summary.get("passed") is False else result.status
