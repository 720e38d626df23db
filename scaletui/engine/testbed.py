"""Reservations and playbook stages as the faces use them: one cancel event per running stage, lazy imports.

The TUI's Reservations and Stages panes, the Scalehub-style verbs (`provision`, `deploy APP`...) and experiment
files all go through here, so a stage run from any of them is recorded and cancellable the same way.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from scaletui.errors import UserError

if TYPE_CHECKING:
    from scaletui.engine.core import Engine
    from scaletui.platforms.flow import ReservationFlow
    from scaletui.session.model import Reservation
    from scaletui.stages.runner import StageResult, StagesRunner


class TestbedControl:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._flow: ReservationFlow | None = None
        self._runner: StagesRunner | None = None
        self._cancels: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @property
    def flow(self) -> ReservationFlow:
        if self._flow is None:
            from scaletui.platforms.flow import ReservationFlow

            self._flow = ReservationFlow(self.engine.store, self.engine.bus, self.engine.conf_dir)
        return self._flow

    @property
    def runner(self) -> StagesRunner:
        if self._runner is None:
            from scaletui.stages.runner import StagesRunner

            self._runner = StagesRunner(self.engine.store, self.engine.bus)
        return self._runner

    # --- reservations --------------------------------------------------------------------------------------------

    def platforms(self) -> list[str]:
        return [p.stem for p in self.engine.conf_files("platforms")]

    def reserve(self, name: str) -> str:
        key = f"reserve:{name}"
        cancel = self._cancel_for(key)
        try:
            r = self.flow.reserve(name, cancel)
        finally:
            with self._lock:
                self._cancels.pop(key, None)
        return (
            f"{name}: {r.state}" + (f", job {r.job_id}" if r.job_id else "") + (f" ({r.message})" if r.message else "")
        )

    def release(self, name: str) -> str:
        r = self.flow.release(name, confirmed=True)
        return f"{name}: {r.state}."

    def refresh(self) -> str:
        names = [r.platform for r in self.engine.store.session.reservations if r.state in ("waiting", "running")]
        states = [self.flow.status(n) for n in names]
        return "; ".join(f"{r.platform} {r.state}" for r in states) or "No active reservation to refresh."

    def reattach(self) -> list[Reservation]:
        """After a restart: find the jobs the session remembers (testbed APIs are asked only if there are any)."""
        if not any(r.state in ("waiting", "running") for r in self.engine.store.session.reservations):
            return []
        return self.flow.reattach()

    # --- stages --------------------------------------------------------------------------------------------------

    def run(self, step: str) -> StageResult:
        """A stage ("infrastructure", "local"...) or an app step ("app:flink", "app:flink:delete")."""
        cancel = self._cancel_for(step)
        try:
            return self.runner.run_step(step, cancel)
        finally:
            with self._lock:
                self._cancels.pop(step, None)

    def run_checked(self, step: str) -> str:
        result = self.run(step)
        if result.state == "failed":
            raise UserError(f"Stage {step} failed: {result.message}.", f"Full log: {result.log_file}")
        return f"Stage {step}: {result.state} ({result.tasks_done} tasks)."

    def cancel(self, step: str | None = None) -> str:
        with self._lock:
            targets = [step] if step else list(self._cancels)
            events = [self._cancels[s] for s in targets if s in self._cancels]
        for event in events:
            event.set()
        return f"Cancelling {', '.join(targets)}." if events else "Nothing is running."

    def _cancel_for(self, step: str) -> threading.Event:
        with self._lock:
            if step in self._cancels:
                raise UserError(f"{step} is already running.", "Wait for it, or cancel it with c.")
            event = threading.Event()
            self._cancels[step] = event
            return event
