"""What the panes read, from a live engine or from a replay: one protocol, so the same panes show both.

A live view is the engine's session, series and autoscaler right now; a replay view is a recorded run's at the
replay's position (`engine.replay.ReplayPlayer`). Only a live view takes intents.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from scaletui.engine.series import SeriesStore
from scaletui.events import EventBus
from scaletui.session.model import Session

if TYPE_CHECKING:
    from scaletui.capacity.online import LiveCapacity
    from scaletui.engine.core import Engine
    from scaletui.scaling.status import ControllerStatus


class RunView(Protocol):
    bus: EventBus
    series: SeriesStore
    interactive: bool
    """False for a replay: the panes refuse intents with one sentence."""

    def session(self) -> Session: ...

    def strategy_status(self) -> ControllerStatus | None: ...

    def capacity(self) -> LiveCapacity | None: ...

    def now(self) -> float:
        """The time the panes show ages against: the wall clock live, the replay's position in a replay."""
        ...


class LiveView:
    """The engine as the panes see it."""

    interactive = True

    def __init__(self, engine: Engine, now: Callable[[], float] = time.time) -> None:
        """`now` is the face's clock (the TUI pins it in snapshot tests)."""
        self.engine = engine
        self.bus = engine.bus
        self.series = engine.series
        self._now = now

    def session(self) -> Session:
        return self.engine.store.session

    def strategy_status(self) -> ControllerStatus | None:
        run = self.engine.active_run()
        return run.strategy_status() if run is not None else None

    def capacity(self) -> LiveCapacity | None:
        return self.engine.active_capacity()

    def now(self) -> float:
        return self._now()
