"""Theodolite's search strategies for the demand metric, over any trial function.

Source: Theodolite (cau-se/theodolite), "Search Strategies" in its documentation, and S. Henning and W. Hasselbring,
"A Configurable Method for Benchmarking Scalability of Cloud-Native Applications", Empirical Software Engineering
27, 2022. The demand of a load intensity is the least resource amount whose SLO experiment succeeds.

- linear: resource amounts in increasing order until one holds the SLO; no further amounts for that load.
- binary: the middle amount first, then the lower or upper half; assumes more resources never make it worse.
- lower-bound restriction (on by default): the search for a load starts at the demand of the highest lower load
  already measured, since demand never falls as load grows.

`trial(load, resources) -> bool` runs one SLO experiment; each strategy asks for as few as it can.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

SearchKind = Literal["linear", "binary"]
SEARCHES: tuple[str, ...] = ("linear", "binary")


@dataclass
class DemandSearch:
    """Finds the demand of each load over `resources` (in increasing order) with `trial`; keeps every verdict."""

    resources: Sequence[int]
    trial: Callable[[float, int], bool]
    kind: SearchKind = "linear"
    restrict: bool = True
    announce: Callable[[float], None] = lambda load: None
    """Called as the search of each load begins (progress on the terminal)."""
    skip: Callable[[float, float], None] = lambda load, below: None
    """Called for a load left untried because nothing held at `below` (the lower-bound restriction)."""
    verdicts: dict[tuple[float, int], bool] = field(default_factory=dict)
    found: dict[float, int | None] = field(default_factory=dict)
    """The demand of each load searched so far (kept when a later trial fails or is interrupted)."""
    untried: dict[float, float] = field(default_factory=dict)
    """Load -> the lower load nothing held at: left untried, its demand None, by the lower-bound restriction."""

    def run(self, load: float, resource: int) -> bool:
        key = (load, resource)
        if key not in self.verdicts:
            self.verdicts[key] = self.trial(load, resource)
        return self.verdicts[key]

    def demand(self, loads: Sequence[float]) -> dict[float, int | None]:
        """Load -> least resource amount holding the SLO (None when even the most does not), loads ascending."""
        floor = 0
        none_held_at: float | None = None
        for load in sorted(loads):
            if none_held_at is not None:
                self.untried[load] = none_held_at
                self.found[load] = None
                self.skip(load, none_held_at)
                continue
            self.announce(load)
            candidates = [r for r in self.resources if r >= floor] if self.restrict else list(self.resources)
            found = self._linear(load, candidates) if self.kind == "linear" else self._binary(load, candidates)
            self.found[load] = found
            if found is not None and self.restrict:
                floor = found
            elif found is None and self.restrict:
                none_held_at = load  # nothing holds a lower load: none holds a higher one
        return dict(self.found)

    def _linear(self, load: float, candidates: list[int]) -> int | None:
        for r in candidates:
            if self.run(load, r):
                return r
        return None

    def _binary(self, load: float, candidates: list[int]) -> int | None:
        lo, hi = 0, len(candidates) - 1
        best: int | None = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.run(load, candidates[mid]):
                best, hi = candidates[mid], mid - 1
            else:
                lo = mid + 1
        return best
