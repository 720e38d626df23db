"""Experiments started from the TUI: one at a time, in a background thread, cancellable by key.

The run is the same `ExperimentRun` the headless face uses, so a run started here and the same file run with
`--script` leave the same results layout.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.engine.experiment import ExperimentRun, RunResult
from scaletui.engine.prepare import prepare_experiment
from scaletui.errors import UserError
from scaletui.events import ErrorEvent, Notice

if TYPE_CHECKING:
    from scaletui.engine.core import Engine


class ExperimentLauncher:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self.current: str = ""
        self.last: RunResult | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, path: Path | str) -> str:
        """Check the file completely, then run it in the background; refuses while another run or the live cluster
        is going, since both would drive the same job."""
        if self.running:
            raise UserError(f"Experiment {self.current} is still running.", "Cancel it first (x in the runs list).")
        if self.engine.live.is_open:
            raise UserError("A cluster started by hand is running.", "Stop it (S in the Pods pane) first.")
        prepared = prepare_experiment(path, self.engine.conf_dir)
        self._cancel = threading.Event()
        self.current = prepared.name
        run = ExperimentRun(self.engine, prepared)

        def work() -> None:
            try:
                self.last = run.execute(self._cancel)
                self.engine.bus.publish(
                    Notice(
                        source="experiment",
                        message=f"Experiment {prepared.name}: {self.last.status}. "
                        f"{self.last.message} Results in {self.last.results_dir}.".replace("  ", " "),
                    )
                )
            except Exception as e:  # execute handles user errors; this is the last guard for the thread
                self.engine.bus.publish(ErrorEvent(source="experiment", message=f"Experiment failed: {e}."))

        self._thread = threading.Thread(target=work, name=f"experiment-{prepared.name}", daemon=True)
        self._thread.start()
        return f"Experiment {prepared.name} started ({prepared.experiment.experiment.duration:.0f}s)."

    def cancel(self, wait_s: float = 60.0) -> str:
        if not self.running:
            return "No experiment is running."
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=wait_s)
        return f"Experiment {self.current} cancelled; partial results kept."
