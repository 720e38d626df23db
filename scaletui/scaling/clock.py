"""The control loop's notion of time, injectable so the same loop runs on wall time or a simulator's clock."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds (epoch seconds on the wall clock, experiment seconds in a simulation)."""
        ...

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        """Let `seconds` pass; returns True when `cancel` was set meanwhile."""
        ...


class WallClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        return cancel.wait(max(0.0, seconds))
