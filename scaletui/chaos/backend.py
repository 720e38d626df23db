"""The fault backend protocol: how the ledger asks a backend to inject a fault and to run one undo step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from scaletui.cluster.base import Instance

WriteAhead = Callable[[dict[str, Any]], None]
"""Called with an undo step BEFORE the change it undoes is made; it returns once the step is saved."""


@dataclass(frozen=True)
class PlannedFault:
    """A fault about to be injected: its ledger id, kind, resolved targets, typed parameters and duration (s)."""

    id: str
    kind: str
    targets: tuple[Instance, ...]
    params: BaseModel
    duration: float


class FaultBackend(Protocol):
    name: str

    def check(self, kind: str, params: BaseModel | None = None) -> None:
        """Raise a one-sentence PlatformError if this fault cannot be done here (no root, missing tool), or if a
        parameter given would not be applied by the mechanism this backend uses here."""
        ...

    def how(self, kind: str) -> str:
        """How this backend makes a fault of `kind` here when it is worth telling (a fallback mechanism), else ""."""
        ...

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        """Make the fault happen, recording each undo step through `write_ahead` before its change."""
        ...

    def undo(self, step: dict[str, Any]) -> None:
        """Run one recorded undo step. Must be idempotent: it may run again after a crash."""
        ...
