"""Time cut into scopes: fixed-length windows whose samples are summarised once the window has ended.

ScroogeVM only revises its estimate at the end of a scope, so short bursts inside a scope are judged together with
the rest of it. A scope that received no sample is skipped rather than treated as zero use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scope:
    """The usage samples of one resource on one node during [start, end)."""

    index: int
    start: float
    end: float
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values))

    @property
    def peak(self) -> float:
        return float(max(self.values))

    def percentile(self, p: float) -> float:
        return float(np.percentile(self.values, p))


@dataclass(frozen=True)
class ScopeSamples:
    """What one closed scope holds for both resources of a node; a resource never sampled has no values."""

    index: int
    start: float
    end: float
    cpu: tuple[float, ...]
    memory: tuple[float, ...]


class ScopeClock:
    """Cuts a node's time-ordered samples into scopes of `length_s`, aligned on the first sample's time.

    `add` returns the scopes that the new sample closed (at most one holding samples: the skipped windows in a gap
    are empty and dropped). Samples older than the open scope are ignored: telemetry arrives in order, and a late
    sample must not reopen a scope whose estimate was already given.
    """

    def __init__(self, length_s: float) -> None:
        if not length_s > 0:
            raise ValueError("scope length must be positive")
        self.length_s = float(length_s)
        self._origin: float | None = None
        self._index = 0
        self._cpu: list[float] = []
        self._memory: list[float] = []

    @property
    def open_index(self) -> int:
        return self._index

    def _bounds(self, index: int) -> tuple[float, float]:
        assert self._origin is not None
        start = self._origin + index * self.length_s
        return start, start + self.length_s

    def add(self, ts: float, cpu: float | None, memory: float | None) -> list[ScopeSamples]:
        if self._origin is None:
            self._origin = ts
        start, end = self._bounds(self._index)
        if ts < start:
            return []
        closed: list[ScopeSamples] = []
        if ts >= end:
            done = self.flush()
            if done is not None:
                closed.append(done)
            self._index = int(math.floor((ts - self._origin) / self.length_s))
        if cpu is not None and math.isfinite(cpu):
            self._cpu.append(float(cpu))
        if memory is not None and math.isfinite(memory):
            self._memory.append(float(memory))
        return closed

    def flush(self) -> ScopeSamples | None:
        """Close the open scope now (end of a trace); None when it holds no sample."""
        if self._origin is None or (not self._cpu and not self._memory):
            self._cpu, self._memory = [], []
            return None
        start, end = self._bounds(self._index)
        done = ScopeSamples(self._index, start, end, tuple(self._cpu), tuple(self._memory))
        self._cpu, self._memory = [], []
        self._index += 1
        return done
