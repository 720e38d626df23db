"""Experiments started from the TUI: one at a time, in a background thread, cancellable by key.

The run is the same `ExperimentRun` the headless face uses, so a run started here and the same file run with
`--script` leave the same results layout; while it runs it is the engine's active run, so the Pods and Plots panes
show it and `s` will not start a second cluster beside it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from scaletui.engine.context import EngineContext
from scaletui.engine.experiment import ExperimentRun, RunResult
from scaletui.engine.live import STOP_WAIT_S
from scaletui.engine.prepare import prepare_experiment
from scaletui.events import ErrorEvent, Notice


class ExperimentLauncher:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self.current: ExperimentRun | None = None
        self.last: RunResult | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, path: Path | str) -> str:
        """Check the file completely, then run it in the background; refuses while another run is going, since
        both would drive the same job."""
        self.ctx.runs.check_free()
        prepared = prepare_experiment(path, self.ctx.conf_dir)
        self._cancel = threading.Event()
        run = self.current = ExperimentRun(self.ctx, prepared)

        def work() -> None:
            try:
                self.last = run.execute(self._cancel)
                text = f"Experiment {prepared.name}: {self.last.status}. {self.last.message}".rstrip()
                self.ctx.bus.publish(
                    Notice(source="experiment", message=f"{text.rstrip('.')}. Results in {self.last.results_dir}.")
                )
            except Exception as e:  # execute handles user errors; this is the last guard for the thread
                self.ctx.bus.publish(ErrorEvent(source="experiment", message=f"Experiment failed: {e}."))

        self._thread = threading.Thread(target=work, name=f"experiment-{prepared.name}", daemon=True)
        self._thread.start()
        return f"Experiment {prepared.name} started ({prepared.experiment.experiment.duration:.0f}s)."

    def cancel(self) -> str:
        """Cancel the experiment and wait for its end as the live session's stop does (STOP_WAIT_S): a rescale under
        way gets STOPPED_WAIT_S, then the teardown stops the cluster and writes the report (review 38 F3)."""
        if not self.running or self.current is None:
            return "No experiment is running."
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_S)
        if self.running:
            return f"Experiment {self.current.name} is cancelled but still stopping (see the log)."
        return f"Experiment {self.current.name} cancelled; partial results kept."
