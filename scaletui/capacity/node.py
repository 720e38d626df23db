"""A node's capacity: its samples cut into scopes, one estimator per resource, and how many TaskManagers fit.

Both resources share the node's scope clock so CPU and memory are revised at the same moments. A resource whose
size was never reported has no estimator and does not constrain the TaskManager count (a CPU-only telemetry still
answers); a node with neither size known answers None, never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaletui.capacity.config import CapacityConfig, TaskManagerSize
from scaletui.capacity.estimator import ResourceEstimator, ScopeRecord
from scaletui.capacity.scopes import Scope, ScopeClock, ScopeSamples

_EPS = 1e-9


@dataclass(frozen=True)
class ResourceView:
    """One resource of a node as the capacity view shows it (CPU in cores, memory in bytes)."""

    size: float
    booked: float
    used: float | None
    seen_as_used: float
    free: float


@dataclass(frozen=True)
class NodeCapacityRow:
    """Per node: booked vs used vs estimated free, and how many more TaskManagers of the asked size fit."""

    node: str
    strategy: str
    scopes: int
    cpu: ResourceView | None
    memory: ResourceView | None
    taskmanagers_fit: int | None


def fit_count(free: float, per_unit: float) -> int:
    return max(0, math.floor(free / per_unit + _EPS))


class NodeCapacity:
    """Feeds one node's samples through scopes into its CPU and memory estimators."""

    def __init__(
        self,
        name: str,
        config: CapacityConfig,
        cpu_total: float | None = None,
        memory_total: float | None = None,
        keep_records: int | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = ScopeClock(config.scope)
        self._keep = keep_records
        self._stability = config.stability.build()
        self._booked: dict[str, float | None] = {"cpu": None, "memory": None}
        self.cpu: ResourceEstimator | None = None
        self.memory: ResourceEstimator | None = None
        self.scopes = 0
        self.strategy_name = config.build_strategy().name
        self._last: dict[str, float | None] = {"cpu": None, "memory": None}
        self._sized("cpu", cpu_total)
        self._sized("memory", memory_total)

    def _sized(self, resource: str, total: float | None) -> None:
        if total is None or not math.isfinite(total) or total <= 0:
            return
        current: ResourceEstimator | None = getattr(self, resource)
        if current is None:
            setattr(
                self,
                resource,
                ResourceEstimator(
                    self.config.build_strategy(),
                    self._stability,
                    self.config.history_scopes,
                    total,
                    self._booked[resource],
                    self._keep,
                ),
            )
        elif current.size != total:
            current.set_size(total)

    def set_booked(self, cpu: float | None, memory: float | None) -> None:
        """What the TaskManagers placed on this node have reserved; None keeps it unknown (= the whole size)."""
        self._booked = {"cpu": cpu, "memory": memory}
        for resource, value in self._booked.items():
            estimator: ResourceEstimator | None = getattr(self, resource)
            if estimator is not None:
                estimator.set_booked(value)

    def add(
        self,
        ts: float,
        cpu: float | None,
        memory: float | None,
        cpu_total: float | None = None,
        memory_total: float | None = None,
    ) -> list[ScopeRecord]:
        """One sample; returns the records of the scopes it closed (CPU first, then memory)."""
        self._sized("cpu", cpu_total)
        self._sized("memory", memory_total)
        if cpu is not None:
            self._last["cpu"] = cpu
        if memory is not None:
            self._last["memory"] = memory
        out: list[ScopeRecord] = []
        for done in self._clock.add(ts, cpu, memory):
            out.extend(self._close(done))
        return out

    def flush(self) -> list[ScopeRecord]:
        """Close the open scope (end of a recorded trace)."""
        done = self._clock.flush()
        return self._close(done) if done is not None else []

    def _close(self, done: ScopeSamples) -> list[ScopeRecord]:
        self.scopes += 1
        out = []
        for estimator, values in ((self.cpu, done.cpu), (self.memory, done.memory)):
            if estimator is not None and values:
                out.append(estimator.close(Scope(done.index, done.start, done.end, values)))
        return out

    def _view(self, resource: str) -> ResourceView | None:
        estimator: ResourceEstimator | None = getattr(self, resource)
        if estimator is None:
            return None
        return ResourceView(
            size=estimator.size,
            booked=estimator.booked,
            used=self._last[resource],
            seen_as_used=estimator.estimate,
            free=estimator.free,
        )

    def fits(self, taskmanager: TaskManagerSize | None = None) -> int | None:
        """How many more TaskManagers of this size fit in the estimated free capacity (None: nothing known)."""
        tm = taskmanager or self.config.taskmanager
        counts = []
        if self.cpu is not None:
            counts.append(fit_count(self.cpu.free, tm.cpu))
        if self.memory is not None:
            counts.append(fit_count(self.memory.free, tm.memory))
        return min(counts) if counts else None

    def row(self, taskmanager: TaskManagerSize | None = None) -> NodeCapacityRow:
        return NodeCapacityRow(
            node=self.name,
            strategy=self.strategy_name,
            scopes=self.scopes,
            cpu=self._view("cpu"),
            memory=self._view("memory"),
            taskmanagers_fit=self.fits(taskmanager),
        )
