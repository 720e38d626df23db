"""Replay: a recorded run played back through the same panes, with pause, speed and seek.

The player reads a results directory once (samples, decisions, faults, actuations, instances, job and strategy
changes), then publishes the events up to its position on a bus of its own. A series store and an in-memory
session (reduced by the same functions as the live session's) follow the bus, so the Plots, Pods and Chaos panes
and the strategy line show the run as it was at that moment. Seeking back replays from the start in one go: an
hour of one-second samples takes a fraction of a second.
"""

from __future__ import annotations

import bisect
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.engine.reducer import REDUCERS
from scaletui.engine.series import SeriesStore
from scaletui.errors import ConfigError
from scaletui.events import ClusterChanged, DecisionEvent, Event, EventBus, FaultEvent, StrategyChanged
from scaletui.results import layout
from scaletui.session.model import FaultRecord, Session

if TYPE_CHECKING:
    from scaletui.scaling.status import ControllerStatus

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class ReplayPlayer:
    """A RunView over a recorded run; `advance(wall_seconds)` moves it along at its speed unless paused."""

    interactive = False

    def __init__(self, run_dir: Path | str) -> None:
        from scaletui.results.playback import recorded_timeline

        self.run_dir = Path(run_dir).expanduser()
        if not layout.is_run_dir(self.run_dir):
            raise ConfigError(
                f"{self.run_dir} is not a run's results directory (no {layout.RUN_META}).",
                "Give a directory a run wrote: results/<session>/<run-id>.",
            )
        self.meta = layout.read_json_object(self.run_dir / layout.RUN_META)
        self.events: list[Event] = recorded_timeline(self.run_dir)
        self._times = [e.ts for e in self.events]
        if not self.events:
            raise ConfigError(f"{self.run_dir} holds no recorded samples or events to replay.")
        started, ended = self.meta.get("origin", self.meta.get("started_at")), self.meta.get("ended_at")
        self.start = float(started) if isinstance(started, (int, float)) else self.events[0].ts
        self.end = max(float(ended) if isinstance(ended, (int, float)) else 0.0, self.events[-1].ts)
        self.bus = EventBus()
        self.series = SeriesStore(history_s=max(3600, int(self.end - self.start) + 2)).attach(self.bus)
        self.position = self.start
        self.speed = 1.0
        self.paused = False
        self._next = 0
        self._session = Session(name=str(self.meta.get("session", "replay")))
        self._strategy: StrategyChanged | None = None
        self._last_decision: DecisionEvent | None = None
        self._lock = threading.RLock()

    # --- RunView ---------------------------------------------------------------------------------------------------

    def session(self) -> Session:
        with self._lock:
            return self._session.model_copy(deep=True)

    def strategy_status(self) -> ControllerStatus | None:
        from scaletui.scaling.status import ControllerStatus

        with self._lock:
            s, last = self._strategy, self._last_decision
        if s is None and last is None:
            return None
        name = s.name if s is not None else last.strategy if last is not None else "none"
        if name == "none":
            return None
        return ControllerStatus(
            strategy=name,
            running=True,
            paused=bool(s and s.paused),
            pause_reason=s.message if s is not None else "",
            dry_run=bool(s and s.dry_run),
            next_decision_in=None,
            last_decision=last,
            settings=s.settings if s is not None else "",
        )

    def capacity(self) -> None:
        return None

    def now(self) -> float:
        return self.position

    # --- moving ----------------------------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return self.position - self.start

    @property
    def duration(self) -> float:
        return self.end - self.start

    def advance(self, wall_seconds: float) -> bool:
        """Move on by `wall_seconds` x speed (nothing while paused); True when something was published."""
        if self.paused or self.position >= self.end:
            return False
        return self.seek(min(self.end, self.position + wall_seconds * self.speed))

    def seek(self, position: float) -> bool:
        """Show the run at `position` (epoch seconds, clamped to the run); going back replays from the start."""
        with self._lock:
            position = min(max(position, self.start), self.end)
            if position < self.position:
                self._reset()
            end = bisect.bisect_right(self._times, position)
            published = self._next < end
            for event in self.events[self._next : end]:
                self._apply(event)
            self._next = max(self._next, end)
            self.position = position
        return published or position != self.position

    def seek_elapsed(self, seconds: float) -> bool:
        return self.seek(self.start + seconds)

    def next_of(self, kind: type[Event]) -> float | None:
        """The time of the next event of `kind` after the position (a decision, a fault), or None."""
        i = bisect.bisect_right(self._times, self.position + 1e-6)
        return next((e.ts for e in self.events[i:] if isinstance(e, kind)), None)

    def previous_of(self, kind: type[Event]) -> float | None:
        i = bisect.bisect_left(self._times, self.position - 1e-6)
        return next((e.ts for e in reversed(self.events[:i]) if isinstance(e, kind)), None)

    def next_decision(self) -> bool:
        at = self.next_of(DecisionEvent)
        return at is not None and self.seek(at)

    def next_fault(self) -> bool:
        at = self.next_of(FaultEvent)
        return at is not None and self.seek(at)

    def set_speed(self, speed: float) -> None:
        self.speed = min(max(speed, SPEEDS[0]), SPEEDS[-1])

    def faster(self) -> float:
        self.set_speed(next((s for s in SPEEDS if s > self.speed), SPEEDS[-1]))
        return self.speed

    def slower(self) -> float:
        self.set_speed(next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0]))
        return self.speed

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        return self.paused

    # --- internals -------------------------------------------------------------------------------------------------

    def _reset(self) -> None:
        """Back to before the first event; the panes drop the instances they were shown (replayed again up to the
        new position, if any)."""
        self.series.clear()
        self._session = Session(name=self._session.name)
        self._strategy = self._last_decision = None
        self._next = 0
        self.bus.publish(ClusterChanged(ts=self.start, source="replay"))

    def _apply(self, event: Event) -> None:
        reducer = REDUCERS.get(type(event))
        if reducer is not None:
            reducer(event)(self._session)
        if isinstance(event, StrategyChanged):
            self._strategy = event
        elif isinstance(event, DecisionEvent):
            self._last_decision = event
        elif isinstance(event, FaultEvent):
            self._fault(event)
        self.bus.publish(event)

    def _fault(self, event: FaultEvent) -> None:
        faults = [f for f in self._session.faults if f.id != event.fault_id]
        if event.action == "injected":
            faults.append(
                FaultRecord(
                    id=event.fault_id,
                    kind=event.kind,
                    backend="chaos-mesh" if event.backend == "chaos-mesh" else "local",
                    targets=list(event.targets),
                    params=dict(event.params),
                    started_at=event.ts,
                    expires_at=event.expires or event.ts,
                    undo={"state": "active"},
                )
            )
        self._session.faults = faults
