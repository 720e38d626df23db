"""Pluggable tests deciding whether a new scope behaved like the scopes before it.

Greedy lowers its safety margin only while a node stays stable, so the test is what makes it bold or careful.
Both tests compare the new scope with the samples of the scopes kept in the history; each has an absolute
tolerance (a fraction of the node's size) so a flat series with tiny jitter still counts as stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scaletui.capacity.scopes import Scope


class StabilityTest(Protocol):
    """Decides stability of `new` against `history` (older scopes, oldest first) on a node of `size`."""

    @property
    def name(self) -> str: ...

    def is_stable(self, history: Sequence[Scope], new: Scope, size: float) -> bool: ...


def _pooled(history: Sequence[Scope]) -> np.ndarray:
    return np.concatenate([np.asarray(s.values, dtype=float) for s in history])


@dataclass(frozen=True)
class MeanShiftTest:
    """Stable when the new scope's mean stays within `threshold` standard deviations of the history's mean.

    The band is never narrower than `tolerance` × size on either side (ScroogeVM's average-threshold test, plus
    that floor so a constant series is not declared unstable by rounding noise).
    """

    threshold: float = 1.0
    tolerance: float = 0.02
    name: str = "mean"

    def is_stable(self, history: Sequence[Scope], new: Scope, size: float) -> bool:
        if not history:
            return False
        old = _pooled(history)
        band = max(self.threshold * float(np.std(old)), self.tolerance * size)
        return abs(new.mean - float(np.mean(old))) <= band


@dataclass(frozen=True)
class PercentileShiftTest:
    """Stable when the new scope's p-th percentile stays within ±`ratio` of the history's p-th percentile.

    The band is never narrower than `tolerance` × size (ScroogeVM's percentile-threshold test: p90 within ±10 %).
    """

    percentile: float = 90.0
    ratio: float = 0.1
    tolerance: float = 0.02
    name: str = "percentile"

    def is_stable(self, history: Sequence[Scope], new: Scope, size: float) -> bool:
        if not history:
            return False
        old = float(np.percentile(_pooled(history), self.percentile))
        band = max(self.ratio * abs(old), self.tolerance * size)
        return abs(new.percentile(self.percentile) - old) <= band
