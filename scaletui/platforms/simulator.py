"""The `simulator` platform: nothing to reserve; the simulated nodes live inside scaletui (cluster/simulator.py).

Reserving it makes the Pods pane's `s` start the simulated job instead of local Flink, so the whole loop can be
tried, and strategies compared, with no machine at all.
"""

from __future__ import annotations

import threading
import time

from scaletui.config.models import PlatformFile
from scaletui.errors import PlatformError
from scaletui.platforms.base import Inventory, PlatformStatus, ProgressFn, no_progress


class SimulatorPlatform:
    can_extend = False

    def __init__(self, pf: PlatformFile, source: str = "") -> None:
        self.name = pf.platform.name
        self.type = "simulator"
        self._status = PlatformStatus(state="none", site="simulated")

    def reserve(self, cancel: threading.Event, progress: ProgressFn = no_progress) -> Inventory:
        progress("the simulator needs no machine", 1.0)
        self._status = PlatformStatus(state="running", site="simulated", started_at=time.time())
        return Inventory(self.name, ())

    def status(self) -> PlatformStatus:
        return self._status

    def extend(self, seconds: int) -> PlatformStatus:
        raise PlatformError("the simulator has no walltime to extend.")

    def release(self) -> None:
        self._status = PlatformStatus(state="released", site="simulated")

    def attach(self, status: PlatformStatus) -> None:
        self._status = status
