"""What the engine's parts share, handed down to them instead of the Engine itself (no back-pointers, no import
circle): the bus, the session (read here, written only by the reducer), the paths, the fault ledger, the testbed
control, the series, and the one slot a run occupies at a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scaletui.config.models import AppConfig
from scaletui.errors import UserError
from scaletui.events import ErrorEvent, EventBus, Notice
from scaletui.session.store import SessionStore

if TYPE_CHECKING:
    from scaletui.engine.faults import FaultControl
    from scaletui.engine.series import SeriesStore
    from scaletui.engine.testbed import TestbedControl


class ActiveRun(Protocol):
    """What the run slot knows of the run in it."""

    live: bool

    @property
    def name(self) -> str: ...


@dataclass
class RunSlot:
    """One run at a time: a live session and an experiment would both drive the same cluster."""

    active: ActiveRun | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_free(self, run: ActiveRun | None = None) -> None:
        """Raise, saying what runs and how to end it, unless the slot is free (or holds `run`)."""
        current = self.active
        if current is None or current is run:
            return
        if current.live:
            raise UserError("A cluster started by hand is running.", "Stop it (S in the Pods pane) first.")
        raise UserError(
            f"Experiment {current.name} is running.", "Watch it in Pods and Plots, or cancel it (R, then x)."
        )

    def claim(self, run: ActiveRun) -> None:
        with self._lock:
            self.check_free(run)
            self.active = run

    def release(self, run: ActiveRun) -> None:
        with self._lock:
            if self.active is run:
                self.active = None


@dataclass
class EngineContext:
    name: str
    config: AppConfig
    bus: EventBus
    store: SessionStore
    session_dir: Path
    conf_dir: Path
    cache_dir: Path
    results_dir: Path
    faults: FaultControl
    testbed: TestbedControl
    series: SeriesStore
    runs: RunSlot = field(default_factory=RunSlot)

    @property
    def log_file(self) -> Path:
        return self.session_dir / "scaletui.log"

    def kubeconfig(self) -> Path:
        """The kubeconfig the orchestration stage fetched into the session (recorded in `cluster.kubeconfig`)."""
        recorded = self.store.read(lambda s: s.cluster.kubeconfig)
        return Path(recorded) if recorded else self.session_dir / "kubeconfig"

    def notice(self, message: str, level: str = "info") -> None:
        """A line for the faces (and the session log, which records every notice and error published)."""
        self.bus.publish(Notice(message=message, level=level))  # type: ignore[arg-type]

    def error(self, message: str, hint: str = "", source: str = "engine") -> None:
        self.bus.publish(ErrorEvent(message=message, hint=hint, source=source))
