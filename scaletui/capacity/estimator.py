"""One resource (CPU or memory) of one node: its scope history, its strategy and the estimate in force.

The estimate given at the end of a scope is the one in force during the next scope; that is what a violation is
measured against (the next scope's peak usage going above it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from scaletui.capacity.scopes import Scope
from scaletui.capacity.stability import StabilityTest
from scaletui.capacity.strategies import CapacityStrategy, ScopeContext


@dataclass(frozen=True)
class ScopeRecord:
    """One closed scope of one resource: what was used, what was estimated before and after it."""

    index: int
    start: float
    end: float
    mean: float
    peak: float
    size: float
    booked: float
    estimate_before: float
    estimate: float
    stable: bool

    @property
    def violated(self) -> bool:
        """Real usage went above the estimate in force during this scope."""
        return self.peak > self.estimate_before

    @property
    def free_before(self) -> float:
        """Free capacity the estimator claimed during this scope."""
        return self.size - self.estimate_before


def clamp(value: float, size: float) -> float:
    return min(max(value, 0.0), size)


class ResourceEstimator:
    """Drives one strategy over the scopes of one resource; the estimate is always within [0, size].

    `booked` None means unknown, and is then taken as the whole size (no oversubscription until usage is seen).
    """

    def __init__(
        self,
        strategy: CapacityStrategy,
        stability: StabilityTest,
        history_scopes: int,
        size: float,
        booked: float | None = None,
        keep_records: int | None = None,
    ) -> None:
        if not size > 0:
            raise ValueError("a node's size must be positive")
        self.strategy = strategy
        self.stability = stability
        self.size = float(size)
        self._booked = booked
        self._history: deque[Scope] = deque(maxlen=history_scopes)
        self.records: deque[ScopeRecord] = deque(maxlen=keep_records)
        self.estimate = clamp(strategy.initial(self.booked, self.size), self.size)
        self.last_mean: float | None = None
        self.last_peak: float | None = None

    @property
    def booked(self) -> float:
        return self.size if self._booked is None else float(self._booked)

    def set_booked(self, booked: float | None) -> None:
        """New booking; before the first scope it also moves the starting estimate."""
        self._booked = booked
        if not self._history:
            self.estimate = clamp(self.strategy.initial(self.booked, self.size), self.size)

    def set_size(self, size: float) -> None:
        if size > 0:
            self.size = float(size)
            self.estimate = clamp(self.estimate, self.size)

    @property
    def free(self) -> float:
        return self.size - self.estimate

    def close(self, scope: Scope) -> ScopeRecord:
        """Account for a closed scope and revise the estimate."""
        previous = self._history[-1] if self._history else None
        stable = self.stability.is_stable(tuple(self._history), scope, self.size)
        self._history.append(scope)
        ctx = ScopeContext(
            scope=scope,
            window=tuple(self._history),
            previous=previous,
            stable=stable,
            size=self.size,
            booked=self.booked,
        )
        before = self.estimate
        self.estimate = clamp(self.strategy.update(ctx), self.size)
        self.last_mean, self.last_peak = scope.mean, scope.peak
        record = ScopeRecord(
            index=scope.index,
            start=scope.start,
            end=scope.end,
            mean=scope.mean,
            peak=scope.peak,
            size=self.size,
            booked=self.booked,
            estimate_before=before,
            estimate=self.estimate,
            stable=stable,
        )
        self.records.append(record)
        return record
