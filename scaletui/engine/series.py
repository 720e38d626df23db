"""Time series owned by the engine: one bounded ring buffer per series, fed from the bus, read by the plots.

Samples (target, source and per-operator rates, latency, parallelism, busy time, TaskManagers, node CPU) go into
fixed-size rings of floats, so an hour of history costs the same memory at minute one and minute sixty; decisions,
actuations and fault windows are kept beside them for the markers, the decision history and replay. `version`
moves with every change, so a face redraws only when there is something new.
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scaletui.events import ActuationEvent, DecisionEvent, Event, EventBus, FaultEvent, MetricsEvent, StepTaken
from scaletui.metrics.model import JobSample

HISTORY_S = 3600
MISSING = math.nan


class Ring:
    """`capacity` (time, value) pairs, oldest overwritten first; a missing value is NaN, never 0."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._t = array("d", bytes(8 * capacity))
        self._v = array("d", bytes(8 * capacity))
        self._head = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, t: float, value: float | None) -> None:
        self._t[self._head] = t
        self._v[self._head] = MISSING if value is None else float(value)
        self._head = (self._head + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def _segments(self) -> tuple[tuple[int, int], ...]:
        """The stored slots oldest first, as at most two contiguous index ranges of the arrays."""
        if self._size < self.capacity:
            return ((0, self._size),)
        return ((self._head, self.capacity), (0, self._head))

    def items(self, since: float = -math.inf, until: float = math.inf) -> tuple[list[float], list[float]]:
        """Times and values from `since` to `until`, oldest first (the times only grow: a bisection and slices,
        not a walk over the whole buffer)."""
        ts: list[float] = []
        vs: list[float] = []
        for lo, hi in self._segments():
            a = bisect_left(self._t, since, lo, hi) if since > -math.inf else lo
            b = bisect_right(self._t, until, a, hi) if until < math.inf else hi
            if a < b:
                ts.extend(self._t[a:b])
                vs.extend(self._v[a:b])
        return ts, vs

    def first(self) -> tuple[float, float] | None:
        if not self._size:
            return None
        i = (self._head - self._size) % self.capacity
        return self._t[i], self._v[i]

    def last(self) -> tuple[float, float] | None:
        if not self._size:
            return None
        i = (self._head - 1) % self.capacity
        return self._t[i], self._v[i]


@dataclass
class FaultSpan:
    """When a fault was active: `end` None while it still is."""

    fault_id: str
    kind: str
    targets: tuple[str, ...]
    start: float
    end: float | None = None


def sample_values(sample: JobSample) -> Iterable[tuple[str, float | None]]:
    """The series one sample feeds, by name."""
    yield "rate.target", sample.target_rate
    yield "rate.source", sample.achieved_rate
    yield "backlog", sample.backlog
    yield "taskmanagers", sample.taskmanagers
    yield "slots.total", sample.total_slots
    yield "slots.free", sample.free_slots
    for stat, value in sample.latency_ms.items():
        yield f"latency.{stat}", value
    for name, op in sample.operators.items():
        yield f"op.{name}.parallelism", op.parallelism
        yield f"op.{name}.in", op.records_in_per_s
        yield f"op.{name}.out", op.records_out_per_s
        yield f"op.{name}.busy", op.busy_ms_per_s
        yield f"op.{name}.backpressured", op.backpressured_ms_per_s
    for node, n in sample.nodes.items():
        yield f"node.{node}.cpu", n.cpu_cores
        yield f"node.{node}.memory", n.memory_bytes


class SeriesStore:
    """Everything a run showed, bounded: `HISTORY_S` one-second points per series, the decisions and faults."""

    def __init__(self, history_s: int = HISTORY_S, max_events: int = 10_000) -> None:
        self.history_s = history_s
        self._series: dict[str, Ring] = {}
        self.operators: list[str] = []
        """Operator names in the order the job lists them (sources first)."""
        self.decisions: deque[DecisionEvent] = deque(maxlen=max_events)
        self.actuations: deque[ActuationEvent] = deque(maxlen=max_events)
        self.steps_taken: deque[StepTaken] = deque(maxlen=max_events)
        """The steps taken by hand or by the timeline, not the autoscaler: the plots mark their rescales apart."""
        self.faults: dict[str, FaultSpan] = {}
        self.last_sample: JobSample | None = None
        self.version = 0
        self.epoch = 0
        """Moves when the series are cleared: within one epoch they only grow (and lose their oldest points), so a
        face may keep what it computed from the points it already had."""
        self._max_events = max_events
        self._lock = threading.Lock()
        self._unsubscribe: list[Callable[[], None]] = []

    def attach(self, bus: EventBus) -> SeriesStore:
        for kind in (MetricsEvent, DecisionEvent, FaultEvent, ActuationEvent, StepTaken):
            self._unsubscribe.append(bus.subscribe(self.record, kind))
        return self

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def clear(self) -> None:
        with self._lock:
            self._series.clear()
            self.operators.clear()
            self.decisions.clear()
            self.actuations.clear()
            self.steps_taken.clear()
            self.faults.clear()
            self.last_sample = None
            self.version += 1
            self.epoch += 1

    # --- writing -------------------------------------------------------------------------------------------------

    def record(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, MetricsEvent) and isinstance(event.sample, JobSample):
                self._add_sample(event.sample)
            elif isinstance(event, DecisionEvent):
                self._add_decision(event)
            elif isinstance(event, ActuationEvent):
                if event.ended is not None:
                    self.actuations.append(event)
            elif isinstance(event, FaultEvent):
                self._add_fault(event)
            elif isinstance(event, StepTaken):
                self.steps_taken.append(event)
            else:
                return
            self.version += 1

    def _add_sample(self, sample: JobSample) -> None:
        if self.last_sample is not None and sample.ts <= self.last_sample.ts:
            return
        self.last_sample = sample
        for name in sample.operators:
            if name not in self.operators:
                self.operators.append(name)
        for name, value in sample_values(sample):
            ring = self._series.get(name)
            if ring is None:
                ring = self._series[name] = Ring(self.history_s)
            ring.append(sample.ts, value)

    def _add_decision(self, event: DecisionEvent) -> None:
        """A decision's outcome takes the place of the same decision shown while in progress (same time and
        strategy), so the history keeps one row per decision."""
        for i in range(len(self.decisions) - 1, -1, -1):
            shown = self.decisions[i]
            if shown.in_progress and shown.ts == event.ts and shown.strategy == event.strategy:
                self.decisions[i] = event
                return
        self.decisions.append(event)

    def _add_fault(self, event: FaultEvent) -> None:
        if event.action == "injected":
            self.faults[event.fault_id] = FaultSpan(event.fault_id, event.kind, tuple(event.targets), event.ts)
            while len(self.faults) > self._max_events:
                self.faults.pop(next(iter(self.faults)))
        elif event.action in ("reverted", "expired", "cleaned") and event.fault_id in self.faults:
            self.faults[event.fault_id].end = event.ts

    # --- reading -------------------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._lock:
            return list(self._series)

    def series(self, name: str, since: float = -math.inf, until: float = math.inf) -> tuple[list[float], list[float]]:
        with self._lock:
            ring = self._series.get(name)
            return ring.items(since, until) if ring is not None else ([], [])

    def last(self, name: str) -> float | None:
        with self._lock:
            ring = self._series.get(name)
            point = ring.last() if ring is not None else None
        return None if point is None or math.isnan(point[1]) else point[1]

    def count(self, name: str) -> int:
        """How many points the series holds (at most `history_s`)."""
        with self._lock:
            ring = self._series.get(name)
            return len(ring) if ring is not None else 0

    def first_time(self, name: str) -> float | None:
        """The time of the oldest point the series holds."""
        with self._lock:
            ring = self._series.get(name)
            point = ring.first() if ring is not None else None
        return None if point is None else point[0]

    def span(self) -> tuple[float, float] | None:
        """The first and last time any series holds."""
        with self._lock:
            firsts = [p[0] for r in self._series.values() if (p := r.first()) is not None]
            lasts = [p[0] for r in self._series.values() if (p := r.last()) is not None]
        return (min(firsts), max(lasts)) if firsts else None

    def decisions_between(self, since: float = -math.inf, until: float = math.inf) -> list[DecisionEvent]:
        with self._lock:
            return [d for d in self.decisions if since <= d.ts <= until]

    def steps_taken_between(self, since: float = -math.inf, until: float = math.inf) -> list[StepTaken]:
        with self._lock:
            return [s for s in self.steps_taken if since <= s.ts <= until]

    def fault_spans(self) -> list[FaultSpan]:
        with self._lock:
            return [FaultSpan(f.fault_id, f.kind, f.targets, f.start, f.end) for f in self.faults.values()]
