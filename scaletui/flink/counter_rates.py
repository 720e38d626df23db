"""Per-second rates from Flink's cumulative task counters, timed by the tasks' own clock.

Flink's *PerSecond gauges are 60-second averages and REST replies carry the previous fetch's values, so both
the gauges and our own poll times mislead. The accumulated busy + idle + back-pressured times of a subtask add up to
its wall time, so the differences of those counters give the true interval between two snapshots, per subtask; the
record counters are divided by that interval. A counter that goes down (a restart or rescale) restarts the window,
and values are None until a full interval has been seen again: missing, never zero.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

COUNTERS = (
    "numRecordsIn",
    "numRecordsOut",
    "accumulateBusyTimeMs",
    "accumulateIdleTimeMs",
    "accumulateBackPressuredTimeMs",
)
TIME_COUNTERS = COUNTERS[2:]
MIN_INTERVAL_MS = 400.0


@dataclass(frozen=True)
class Rates:
    records_in_per_s: float | None = None
    records_out_per_s: float | None = None
    busy_ms_per_s: float | None = None
    idle_ms_per_s: float | None = None
    backpressured_ms_per_s: float | None = None
    measured_at: float | None = None
    """Monotonic time of the snapshot that produced these rates (None if never)."""


@dataclass
class CounterWindow:
    """Keeps the last snapshot of one vertex's summed counters and turns the next one into rates."""

    min_interval_ms: float = MIN_INTERVAL_MS
    _last: dict[str, float] | None = None
    _last_parallelism: int | None = None
    _last_wall: float | None = None
    _rates: Rates = field(default_factory=Rates)

    @property
    def rates(self) -> Rates:
        return self._rates

    def reset(self) -> None:
        self._last = None
        self._last_parallelism = None
        self._last_wall = None
        self._rates = Rates()

    def update(self, sums: dict[str, float], parallelism: int, now: float | None = None) -> Rates:
        """Feed the summed counters of all subtasks; returns the newest rates (the previous ones if too soon)."""
        now = time.monotonic() if now is None else now
        if any(name not in sums for name in COUNTERS):
            return self._rates  # a partial reply from Flink's metric store: wait for a whole one
        if self._last is None or parallelism != self._last_parallelism or _went_down(self._last, sums):
            self._last, self._last_parallelism, self._last_wall = dict(sums), parallelism, now
            self._rates = Rates()
            return self._rates
        delta = {name: sums.get(name, 0.0) - self._last.get(name, 0.0) for name in COUNTERS}
        task_ms = sum(delta[name] for name in TIME_COUNTERS)
        interval_ms = task_ms / max(parallelism, 1)
        if interval_ms < self.min_interval_ms:
            return self._rates
        busy, idle, bp = (_share(delta, name) for name in TIME_COUNTERS)
        self._rates = Rates(
            records_in_per_s=delta["numRecordsIn"] * 1000.0 / interval_ms,
            records_out_per_s=delta["numRecordsOut"] * 1000.0 / interval_ms,
            busy_ms_per_s=busy,
            idle_ms_per_s=idle,
            backpressured_ms_per_s=bp,
            measured_at=now,
        )
        self._last, self._last_wall = dict(sums), now
        return self._rates


def _share(delta: dict[str, float], name: str) -> float:
    """Milliseconds per second one time counter took of the window, in 0..1000; the three add up to 1000.

    Flink derives busy time as wall time minus idle and back-pressured time, and those two only count an idle or
    back-pressured spell once it has ended: a spell still open at the previous snapshot was counted as busy then,
    and lands whole in this window's idle delta while busy time goes back. Divided by the window's wall time that
    gave idle > 1000 ms/s (e.g. 1457.7) beside a negative busy time. Taking each counter's delta at zero or more and
    dividing by their sum hands the window to the spells that ended in it, which is what the tasks did since.
    """
    parts = {n: max(0.0, delta[n]) for n in TIME_COUNTERS}
    total = sum(parts.values())
    return 1000.0 * parts[name] / total if total > 0 else 0.0


def _went_down(before: dict[str, float], after: dict[str, float]) -> bool:
    """A restart: the record counters or the total task time went back. (Busy time alone may dip by a few ms:
    Flink derives it from the other two.)"""
    total = sum(after[name] for name in TIME_COUNTERS) < sum(before[name] for name in TIME_COUNTERS)
    return total or any(after[name] < before[name] for name in ("numRecordsIn", "numRecordsOut"))
