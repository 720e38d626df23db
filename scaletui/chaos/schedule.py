"""Fault schedules from experiment files: each [[faults]] entry fires `at` seconds after the run starts.

The clock is injected (a simulated run, a test) so the same schedule drives real and simulated time; `poll()`
fires what is due, `run()` blocks until the schedule is done or cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.params import parse
from scaletui.config.models import FaultSpec
from scaletui.errors import UserError
from scaletui.events import ErrorEvent
from scaletui.session.model import FaultRecord


def check_specs(faults: Sequence[FaultSpec], where: str = "experiment") -> None:
    """Validate every entry's parameters before the run starts (nothing irreversible has happened yet)."""
    for i, spec in enumerate(faults):
        parse(spec.kind, spec.params, where=f"{where}: faults[{i}]")


class FaultScheduler:
    """Fires an experiment's faults through the ledger at their offsets from `start()`."""

    def __init__(
        self,
        ledger: ChaosLedger,
        faults: Sequence[FaultSpec],
        backend: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_specs(faults)
        self.ledger = ledger
        self.pending = sorted(faults, key=lambda f: f.at)
        self.backend = backend
        self.clock = clock
        self.started: float | None = None
        self.fired: list[FaultRecord] = []
        self.failed: list[tuple[FaultSpec, str]] = []

    def start(self) -> FaultScheduler:
        self.started = self.clock()
        return self

    @property
    def elapsed(self) -> float:
        if self.started is None:
            raise RuntimeError("FaultScheduler.start() was not called")
        return self.clock() - self.started

    @property
    def done(self) -> bool:
        return not self.pending

    def poll(self) -> list[FaultRecord]:
        """Fire every fault whose time has come; a fault that cannot be fired is reported, not raised."""
        now = self.elapsed
        fired = []
        while self.pending and self.pending[0].at <= now:
            spec = self.pending.pop(0)
            try:
                record = self.ledger.fire(spec.kind, spec.targets, spec.duration, spec.params, backend=self.backend)
            except UserError as e:
                self.failed.append((spec, e.message))
                self.ledger.bus.publish(
                    ErrorEvent(
                        source="chaos",
                        message=f"Scheduled {spec.kind} fault at {spec.at:g} s failed: {e.message}",
                        hint=e.hint,
                    )
                )
                continue
            fired.append(record)
        self.fired += fired
        return fired

    def next_in(self) -> float | None:
        """Seconds until the next fault is due (None when the schedule is done)."""
        return max(0.0, self.pending[0].at - self.elapsed) if self.pending else None

    def run(self, cancel: threading.Event, max_wait_s: float = 0.5) -> list[FaultRecord]:
        """Block until every fault is fired or `cancel` is set; returns what was fired."""
        if self.started is None:
            self.start()
        while not cancel.is_set() and not self.done:
            self.poll()
            wait = self.next_in()
            if wait is not None:
                cancel.wait(min(wait, max_wait_s))
        return self.fired
