"""An in-memory fault backend for ledger and scheduler logic: a "fault" is an entry in a journal, its undo removes
it. `fail_after` makes inject raise after that many steps, to test a half-applied fault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from scaletui.chaos.backend import PlannedFault, WriteAhead
from scaletui.errors import PlatformError


class JournalFaults:
    """A backend whose "fault" is an entry in a journal, and whose undo removes it."""

    name = "local"

    def __init__(self, steps: int = 1, fail_after: int | None = None) -> None:
        self.steps = steps
        self.fail_after = fail_after
        self.undone: list[str] = []
        self.journal: list[str] = []
        self.injected: list[tuple[str, tuple[str, ...], float]] = []
        self.before_change: Callable[[], None] | None = None

    def check(self, kind: str, params: BaseModel | None = None) -> None:
        if kind == "bandwidth":
            raise PlatformError("Bandwidth faults need root.", "Run as root.")

    def how(self, kind: str) -> str:
        return ""

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        for n in range(self.steps):
            if self.fail_after is not None and n == self.fail_after:
                raise PlatformError("The journal is full.", "Empty it.")
            write_ahead({"op": "forget", "id": f"{fault.id}/{n}"})
            if self.before_change is not None:
                self.before_change()
            self.journal.append(f"{fault.id}/{n}")
        self.injected.append((fault.kind, tuple(t.name for t in fault.targets), fault.duration))

    def undo(self, step: dict[str, Any]) -> None:
        self.undone.append(step["id"])
        if step["id"] in self.journal:
            self.journal.remove(step["id"])
