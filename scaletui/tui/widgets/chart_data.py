"""What a chart is given (lines, shaded spans, markers) and how it scales and labels them.

The scale is robust: zero to a little over the larger of the 98th percentile and the recent maximum, so an old spike
(clipped at the top) cannot flatten a later rise.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.style import Style

from scaletui.results.decision_rows import with_before

if TYPE_CHECKING:
    from scaletui.events import DecisionEvent, StepTaken

RECENT = 0.1
"""The latest fraction of the window always fits the scale whole."""


@dataclass(frozen=True)
class Line:
    label: str
    ts: Sequence[float]
    vs: Sequence[float]
    style: Style = field(default_factory=Style)


@dataclass(frozen=True)
class Span:
    """A shaded stretch of time (a fault window); `end` None while it lasts."""

    start: float
    end: float | None


@dataclass(frozen=True)
class Marker:
    """A labelled vertical line at a time: an autoscaler's decision, or (`stepped`) a step that changed the job, by
    hand or by the experiment file's timeline, drawn apart."""

    at: float
    label: str
    stepped: bool = False


@dataclass(frozen=True)
class ChartData:
    title: str
    lines: tuple[Line, ...]
    start: float
    end: float
    origin: float
    spans: tuple[Span, ...] = ()
    markers: tuple[Marker, ...] = ()
    integer: bool = False
    """Whole numbers (parallelism): the scale ends half a step above the largest, and the labels are whole."""
    ceiling: float | None = None
    """The most the values can be (busy time: 1000 ms/s); the scale stops there."""
    generation: object = None
    """Set (the series store's `epoch`) when the lines only grew since the last `show` with the same generation:
    the chart then keeps the columns it already summed and adds only the newest points."""


def robust_top(lines: Sequence[Line], start: float, end: float, integer: bool = False) -> float:
    """The points from `start` on (a line may hold a few before, for its first column): the larger of their 98th
    percentile and the maximum of the latest `RECENT` of the window, then a little headroom."""
    isfinite = math.isfinite
    values: list[float] = []
    recent_top = 0.0
    recent_from = end - (end - start) * RECENT
    for line in lines:
        ts, vs = line.ts, line.vs
        i = bisect_left(ts, start) if ts and ts[0] < start else 0
        values.extend(filter(isfinite, vs[i:] if i else vs))
        j = bisect_left(ts, recent_from, i)
        recent_top = max(recent_top, max(filter(isfinite, vs[j:]), default=0.0))
    if not values:
        return 1.0
    rank = len(values) - min(len(values) - 1, int(len(values) * 0.98))  # the percentile's rank from the top
    top = max(heapq.nlargest(rank, values)[-1], recent_top)
    if integer:
        return max(1, math.ceil(top)) + 0.5
    return nice(top * 1.1) if top > 0 else 1.0


def nice(value: float) -> float:
    """The next round number at or above `value`: 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten."""
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def short(value: float) -> str:
    """A y label in at most 5 characters: 950, 1.2k, 34k, 1.5M."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            v = value / div
            return f"{v:.1f}{suffix}" if v < 10 and v != int(v) else f"{v:.0f}{suffix}"
    return f"{value:.1f}" if 0 < abs(value) < 10 and value != int(value) else f"{value:.0f}"


def clock_label(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def decision_marks(decisions: list[DecisionEvent]) -> list[tuple[float, str]]:
    """Each applied decision's time and what it changed in a few characters: "↑3" (an operator to 3), "↓1",
    "TM2". A decision recorded without its "from" is compared with the decision before it."""
    marks: list[tuple[float, str]] = []
    for d, before, tms_before in with_before(decisions):
        if not d.applied:
            continue
        changed = [(abs(to - before[k]), k, to) for k, to in d.parallelism.items() if k in before and before[k] != to]
        if changed:
            _, name, to = max(changed)
            marks.append((d.ts, f"{'↑' if to > before[name] else '↓'}{to}"))
        elif d.taskmanagers is not None and tms_before is not None and d.taskmanagers != tms_before:
            marks.append((d.ts, f"TM{d.taskmanagers}"))
        else:
            marks.append((d.ts, ""))
    return marks


def step_marks(steps: list[StepTaken]) -> list[tuple[float, str]]:
    """Each step that changed the job (by hand or by the timeline), with what it asked for: "=3" (an operator set
    to 3), "TM2"."""
    marks: list[tuple[float, str]] = []
    for s in filter(lambda s: s.changes_job, steps):
        if s.step.get("do") == "rescale":
            marks.append((s.ts, f"={s.step.get('parallelism', '')}"))
        else:
            marks.append((s.ts, f"TM{s.step.get('count', '')}"))
    return marks
