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
    current: float | None = None
    """The load whose search is under way (what an interruption cuts short)."""
    _pending: list[float] = field(default_factory=list, init=False, repr=False)
    """Loads whose search has not begun."""
    _floor: int = field(default=0, init=False, repr=False)
    """The least amount a load's search tries: the demand of the load below (the restriction), else 0."""
    _left: int = field(default=0, init=False, repr=False)
    """At most how many trials the current load's search still runs, the next one included."""

    def run(self, load: float, resource: int) -> bool:
        key = (load, resource)
        if key not in self.verdicts:
            self.verdicts[key] = self.trial(load, resource)
        return self.verdicts[key]

    def demand(self, loads: Sequence[float]) -> dict[float, int | None]:
        """Load -> least resource amount holding the SLO (None when even the most does not), loads ascending."""
        none_held_at: float | None = None
        self._pending = sorted(loads)
        while self._pending:
            load = self._pending.pop(0)
            if none_held_at is not None:
                self.untried[load] = none_held_at
                self.found[load] = None
                self.skip(load, none_held_at)
                continue
            self.announce(load)
            self.current = load
            candidates = self._candidates()
            found = self._linear(load, candidates) if self.kind == "linear" else self._binary(load, candidates)
            self.found[load] = found
            self.current = None
            if found is not None and self.restrict:
                self._floor = found
            elif found is None and self.restrict:
                none_held_at = load  # nothing holds a lower load: none holds a higher one
        return dict(self.found)

    def _candidates(self) -> list[int]:
        return [r for r in self.resources if r >= self._floor] if self.restrict else list(self.resources)

    def _most_trials(self, count: int) -> int:
        """The most trials a search over `count` amounts runs: all of them, or halving them (log2 + 1)."""
        return count if self.kind == "linear" else count.bit_length()

    def trials_left(self) -> int:
        """At most how many trials are still to run, the next one included: the current load's search bounds its
        own, and each load not begun yet runs at most a whole search from the current lower bound."""
        return self._left + len(self._pending) * self._most_trials(len(self._candidates()))

    def bounds(self, load: float) -> tuple[int | None, int | None]:
        """(more than, at most): what the trials so far show of a load's demand, for a search cut short. The least
        amount that held bounds it above; the most that failed below that (or the restriction's floor) below."""
        held = [r for (at, r), ok in self.verdicts.items() if at == load and ok]
        at_most = min(held, default=None)
        failed = [
            r for (at, r), ok in self.verdicts.items() if at == load and not ok and (at_most is None or r < at_most)
        ]
        floor = self._floor - 1 if self.restrict and self._floor > 1 else None
        return max(failed, default=floor), at_most

    def _linear(self, load: float, candidates: list[int]) -> int | None:
        for i, r in enumerate(candidates):
            self._left = len(candidates) - i
            if self.run(load, r):
                return r
        return None

    def _binary(self, load: float, candidates: list[int]) -> int | None:
        lo, hi = 0, len(candidates) - 1
        best: int | None = None
        while lo <= hi:
            self._left = self._most_trials(hi - lo + 1)
            mid = (lo + hi) // 2
            if self.run(load, candidates[mid]):
                best, hi = candidates[mid], mid - 1
            else:
                lo = mid + 1
        return best
