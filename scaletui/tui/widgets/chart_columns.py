"""A line downsampled to dot columns: each column's least, most, first and last value, the complete columns kept
from one build to the next of the same generation, so a second more of an hour's window sums only the newest."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from scaletui.tui.widgets.chart_data import Line

Summary = tuple[float, float, float, float, bool] | None
"""A dot column's least, most, first and last finite value and whether a value was missing; None when empty."""


@dataclass(frozen=True)
class KeptColumns:
    """A line's complete columns from the last build, for the next one of the same `key`."""

    key: tuple[object, ...]
    closed: tuple[Summary, ...]
    points: int
    """How many points those columns hold, from the first at `first_t` to the last at `last_t`."""
    first_t: float
    last_t: float


def column_bounds(ts: Sequence[float], start: float, span: float, dots_w: int, i_from: int, x_from: int) -> list[int]:
    """Where each dot column's points begin in `ts` (sorted), then its end: column x holds
    ts[bounds[x]:bounds[x + 1]], from column `x_from` (whose first point is ts[i_from]) on; the last column takes
    anything after the window. A bisection at each column's start time, checked against the column a point is
    drawn in."""
    n = len(ts)
    cols = dots_w // 2
    dot_s = span / dots_w

    def x_of(t: float) -> int:
        return min(max(int((t - start) / span * cols * 2), 0), dots_w - 1)

    bounds = [i_from] * (dots_w + 1)
    bounds[dots_w] = n
    if i_from >= n:
        return bounds
    x0, x1 = x_of(ts[i_from]), x_of(ts[-1])
    lo = i_from
    for x in range(max(x0, x_from) + 1, dots_w):
        if x > x1:
            bounds[x] = n
            continue
        i = bisect_left(ts, start + x * dot_s, lo)
        while i > lo and x_of(ts[i - 1]) >= x:
            i -= 1
        while i < n and x_of(ts[i]) < x:
            i += 1
        bounds[x] = lo = i
    return bounds


class ColumnSums:
    """Each line's column summaries for one build, and the complete ones of the build before."""

    def __init__(self) -> None:
        self._kept: dict[int, KeptColumns] = {}
        self._next: dict[int, KeptColumns] = {}
        self.reused = 0
        """How many columns the last `sums` took from the build before."""

    def begin(self) -> None:
        self._next = {}

    def end(self) -> None:
        self._kept = self._next

    def closed(self, index: int) -> KeptColumns | None:
        """The complete columns of line `index` in this build (None when it keeps none)."""
        return self._next.get(index)

    def sums(self, index: int, line: Line, start: float, span: float, dots_w: int, generation: object) -> list[Summary]:
        """Each dot column's points of `line` from `start` on, summed up: the least, the most, the first and the last
        finite value and whether one was missing; None for a column without points. With a `generation`, the
        columns before the last point's were complete and are kept for the next show of the same generation, window
        and width; only the newest columns are summed again."""
        ts, vs = line.ts, line.vs
        n = len(ts)
        i0 = bisect_left(ts, start) if n and ts[0] < start else 0
        key = (generation, line.label, start, span, dots_w)
        x_from, i_from = 0, i0
        sums: list[Summary] = []
        self.reused = 0
        kept = self._kept.get(index) if generation is not None else None
        if kept is not None and kept.key == key:
            k = kept.points
            if k == 0 or (i0 + k <= n and ts[i0] == kept.first_t and ts[i0 + k - 1] == kept.last_t):
                x_from, i_from = len(kept.closed), i0 + k
                sums.extend(kept.closed)
                self.reused = x_from
        bounds = column_bounds(ts, start, span, dots_w, i_from, x_from)
        isfinite = math.isfinite
        last_x = x_from - 1  # the last column holding points, among those summed here
        for x in range(x_from, dots_w):
            a, b = bounds[x], bounds[x + 1]
            if a >= b:
                sums.append(None)
                continue
            last_x = x
            seg = vs[a:b]
            if isfinite(sum(seg)):
                sums.append((min(seg), max(seg), seg[0], seg[-1], False))
                continue
            finite = [v for v in seg if isfinite(v)]
            if finite:
                sums.append((min(finite), max(finite), finite[0], finite[-1], len(finite) < len(seg)))
            else:
                sums.append((math.nan, math.nan, math.nan, math.nan, True))
        if generation is not None and last_x >= x_from:
            # the columns before the last point's are complete: later points land in it or after it
            points = bounds[last_x] - i0
            first_t = ts[i0] if points else math.nan
            last_t = ts[i0 + points - 1] if points else math.nan
            self._next[index] = KeptColumns(key, tuple(sums[:last_x]), points, first_t, last_t)
        return sums
