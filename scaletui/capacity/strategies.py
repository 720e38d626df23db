"""How much of a node's resource is "seen as used" after each scope; free capacity is the size minus that.

One strategy object follows one resource (CPU or memory) of one node, since doa and greedy carry state from scope
to scope. Every usage-driven strategy starts at what is booked on the node (no oversubscription before any
evidence); the estimator that drives them clamps what they return to [0, size].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scaletui.capacity.scopes import Scope


@dataclass(frozen=True)
class ScopeContext:
    """What a strategy sees when a scope closes.

    `window` holds the scopes kept in the history, oldest first, ending with `scope`, the one just closed;
    `previous` is the scope before it (None for the first); `stable` is the verdict of the stability test.
    """

    scope: Scope
    window: Sequence[Scope]
    previous: Scope | None
    stable: bool
    size: float
    booked: float

    def pooled(self) -> np.ndarray:
        return np.concatenate([np.asarray(s.values, dtype=float) for s in self.window])


class CapacityStrategy(Protocol):
    name: str

    def initial(self, booked: float, size: float) -> float:
        """The estimate before any scope has closed."""
        ...

    def update(self, ctx: ScopeContext) -> float:
        """The new "seen as used" after `ctx.scope`."""
        ...


class _StartsAtBooked:
    def initial(self, booked: float, size: float) -> float:
        return booked


class PercentileStrategy(_StartsAtBooked):
    """percentile: the p-th percentile of usage over the scopes seen so far.

    "Seen so far" is the node's history window (the last `history_scopes` scopes), as in ScroogeVM, so an old
    peak ages out instead of pinning the estimate forever.
    """

    def __init__(self, percentile: float = 95.0) -> None:
        self.percentile = percentile
        self.name = f"percentile-{percentile:g}"

    def update(self, ctx: ScopeContext) -> float:
        return float(np.percentile(ctx.pooled(), self.percentile))


class DoaStrategy(_StartsAtBooked):
    """doa: starts at what is booked; after each scope, if peak usage stayed under 95 % of the node's size, lower
    the "seen as used" by 1/20 of the size, else raise it by 1/2 of the size; never below a floor that caps the
    oversubscription ratio at 3.

    The oversubscription ratio is what can be booked in total over the size, (booked + size − seen) / size, so the
    floor is booked − (3 − 1) × size (and never below 0, like every estimate).
    """

    name = "doa"

    def __init__(
        self, threshold: float = 0.95, lower_by: float = 1 / 20, raise_by: float = 1 / 2, max_ratio: float = 3.0
    ) -> None:
        self.threshold = threshold
        self.lower_by = lower_by
        self.raise_by = raise_by
        self.max_ratio = max_ratio
        self._seen: float | None = None

    def update(self, ctx: ScopeContext) -> float:
        seen = ctx.booked if self._seen is None else self._seen
        if ctx.scope.peak < self.threshold * ctx.size:
            seen -= self.lower_by * ctx.size
        else:
            seen += self.raise_by * ctx.size
        floor = max(0.0, ctx.booked - (self.max_ratio - 1) * ctx.size)
        self._seen = min(max(seen, floor), ctx.size)
        return self._seen


class GreedyStrategy(_StartsAtBooked):
    """greedy (ScroogeVM's own): mean + k·std of usage, where k shrinks as the node stays stable: a stability
    streak kept between 3 and 5, raised by one after a stable scope, lowered by one after an unstable scope whose
    mean went up, and k = 5 − streak + 3.

    Mean and std are taken over the samples of the history window; "mean went up" compares the closed scope's mean
    with the previous scope's. An unstable scope whose mean went down leaves the streak as it is.
    """

    name = "greedy"
    streak_min = 3
    streak_max = 5

    def __init__(self) -> None:
        self.streak = self.streak_min

    @property
    def k(self) -> int:
        return self.streak_max - self.streak + self.streak_min

    def update(self, ctx: ScopeContext) -> float:
        if ctx.stable:
            self.streak += 1
        elif ctx.previous is not None and ctx.scope.mean > ctx.previous.mean:
            self.streak -= 1
        self.streak = min(max(self.streak, self.streak_min), self.streak_max)
        values = ctx.pooled()
        return float(np.mean(values) + self.k * np.std(values))


class NSigmaStrategy(_StartsAtBooked):
    """n-sigma (baseline): mean + n·std of usage over the history window, with a fixed n."""

    def __init__(self, n: float = 3.0) -> None:
        self.n = n
        self.name = f"nsigma-{n:g}"

    def update(self, ctx: ScopeContext) -> float:
        values = ctx.pooled()
        return float(np.mean(values) + self.n * np.std(values))


class FixedRatioStrategy:
    """fixed-ratio (baseline): a static oversubscription ratio r, each booked unit seen as using 1/r of itself.

    It ignores usage entirely (Borg-style default), which is what the adaptive strategies are measured against.
    """

    def __init__(self, ratio: float = 2.0) -> None:
        self.ratio = ratio
        self.name = f"fixed-{ratio:g}"

    def initial(self, booked: float, size: float) -> float:
        return booked / self.ratio

    def update(self, ctx: ScopeContext) -> float:
        return ctx.booked / self.ratio
