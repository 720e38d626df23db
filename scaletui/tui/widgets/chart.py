"""A time chart drawn in braille, cheap enough to redraw every second with an hour of points.

The pane hands it lines (times and values), shaded spans and labelled markers; the chart downsamples each line to
its own dot width (two dots per cell: the min and max of each column's points, joined to the next column, so a
one-sample spike still shows), builds its rows once and serves them from `render_line` until the data or its size
changes. The scale is robust: zero to a little over the larger of the 98th percentile and the recent maximum, so
an old spike (clipped at the top) cannot flatten a later rise. The first row is the title and a legend that fits;
the last is the time axis, as time since `origin` (the run's start).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

BRAILLE = 0x2800
DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Braille dot bits by (row within the cell, column within the cell)."""
AXIS_W = 6
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
    """A labelled vertical line at a time (a decision)."""

    at: float
    label: str


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


Summary = tuple[float, float, float, float, bool] | None
"""A dot column's least, most, first and last finite value and whether a value was missing; None when empty."""


@dataclass(frozen=True)
class _Kept:
    """A line's complete columns from the last build, for the next one of the same `key`."""

    key: tuple[object, ...]
    closed: tuple[Summary, ...]
    points: int
    """How many points those columns hold, from the first at `first_t` to the last at `last_t`."""
    first_t: float
    last_t: float


TICK_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)


class Chart(Widget):
    """Redraws only when given new data or resized; rows are cached between frames."""

    DEFAULT_CSS = """
    Chart { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.data: ChartData | None = None
        self.shade = Style(reverse=True)
        self.marker_style = Style()
        self.axis_style = Style(dim=True)
        self._rows: list[Strip] = []
        self._built_for: tuple[int, int] = (0, 0)
        self._row_cache: dict[tuple[object, ...], Strip] = {}
        self._prev_cache: dict[tuple[object, ...], Strip] = {}
        self._legend: dict[tuple[object, ...], list[Strip]] = {}
        self._summary_cache: dict[int, _Kept] = {}
        self._next_summaries: dict[int, _Kept] = {}
        self._drawn_cache: dict[int, tuple[object, int, dict[tuple[int, int], int], int, int]] = {}
        self._next_drawn: dict[int, tuple[object, int, dict[tuple[int, int], int], int, int]] = {}
        self._reused_columns = 0

    def show(self, data: ChartData) -> None:
        """Draw `data`: the rows are rebuilt now and only those that differ from what is on screen are refreshed
        (a second of a full window moves the last dot column and little else)."""
        self.data = data
        self._update()

    def use_styles(self, shade: Style, marker: Style, axis: Style) -> None:
        """The fault shade, the markers' and the axes' styles, for the next `show` (not Textual's `set_styles`)."""
        self.shade, self.marker_style, self.axis_style = shade, marker, axis

    def _update(self) -> None:
        width, height = self.size.width, self.size.height
        old = self._rows
        if not old or self._built_for != (width, height) or not self.is_mounted:
            self._rows = []
            self.refresh()
            return
        self._rows = new = self.build(width, height)
        changed = [y for y, row in enumerate(new) if y >= len(old) or row is not old[y]]
        if len(changed) > height // 2:
            self.refresh()
        else:
            for y in changed:
                self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if not self._rows or self._built_for != (width, height):
            self._row_cache = {}
            self._rows = self.build(width, height)
            self._built_for = (width, height)
        return self._rows[y] if 0 <= y < len(self._rows) else Strip.blank(width)

    # --- building the rows -----------------------------------------------------------------------------------------

    def _cached(self, key: tuple[object, ...], make: Callable[[], Strip]) -> Strip:
        """The strip built for `key` at the last build, or a new one: an unchanged row keeps its strip, which is
        how `show` knows it need not be painted again."""
        strip = self._prev_cache.get(key)
        if strip is None:
            strip = make()
        self._row_cache[key] = strip
        return strip

    def build(self, width: int, height: int) -> list[Strip]:
        self._prev_cache, self._row_cache = self._row_cache, {}
        data = self.data
        if data is None or width < AXIS_W + 4 or height < 4:
            return [Strip.blank(width) for _ in range(height)]
        styles = (self.shade, self.marker_style, self.axis_style)
        legend_most = 2 if height >= 7 else 1
        labels_key = tuple((line.label, line.style) for line in data.lines)
        legend_key = (data.title, labels_key, width, legend_most, self.axis_style)
        if legend_key not in self._legend:
            self._legend = {legend_key: self._legend_rows(data, width, legend_most)}
        legend = list(self._legend[legend_key])
        rows_n, cols = height - 1 - len(legend), width - AXIS_W
        dots_w = cols * 2
        span = max(data.end - data.start, 1e-9)
        # The window starts on a dot column's boundary counted from the origin, so a second more of a full window
        # leaves every column but the last with the same points (they are not regrouped each second).
        dot_s = span / dots_w
        start = data.origin + math.floor((data.start - data.origin) / dot_s + 1e-6) * dot_s
        end = start + span
        top = robust_top(data.lines, start, end, data.integer)
        if data.ceiling is not None:
            top = min(top, data.ceiling)

        def col_of(t: float) -> float:
            return (t - start) / span * cols

        cells = [[0] * cols for _ in range(rows_n)]
        colour = [[-1] * cols for _ in range(rows_n)]
        """Which line coloured each cell (the last drawn over it), -1 for none."""
        dots_h = rows_n * 4
        self._next_summaries, self._next_drawn = {}, {}
        for index, line in enumerate(data.lines):
            self._draw(index, line, cells, colour, start, span, top, dots_h, dots_w, data.generation)
        self._summary_cache, self._drawn_cache = self._next_summaries, self._next_drawn
        shaded = [False] * cols
        for sp in data.spans:
            a = max(0, math.floor(col_of(sp.start)))
            b = min(cols - 1, math.floor(col_of(sp.end if sp.end is not None else end)))
            for c in range(a, b + 1):
                shaded[c] = True
        marks: dict[int, str] = {}
        for m in data.markers:
            c = math.floor(col_of(m.at))
            if c == cols and m.at <= data.end:  # after the snapped end, before the last point: the last column
                c = cols - 1
            if 0 <= c < cols:
                marks[c] = m.label
        shaded_t = tuple(shaded)
        line_styles = tuple(line.style for line in data.lines)
        marks_t = tuple(sorted(marks.items()))
        rows = legend
        labels = self._y_labels(top, rows_n, data.integer)
        for r, label in enumerate(labels):
            key = (
                r,
                label,
                tuple(cells[r]),
                tuple(colour[r]),
                shaded_t,
                marks_t if r == 0 else (),
                width,
                styles,
                line_styles,
            )

            def make(r: int = r, label: str = label) -> Strip:
                segs = [Segment(f"{label:>{AXIS_W - 1}}┤", self.axis_style)]
                segs.extend(
                    self._cells_row(
                        cells[r], [line_styles[i] if i >= 0 else None for i in colour[r]], shaded, marks, r == 0
                    )
                )
                return Strip(segs, width).simplify()

            rows.append(self._cached(key, make))
        axis_key = ("axis", start, end, data.origin, width, self.axis_style)
        rows.append(self._cached(axis_key, lambda: self._time_row(start, end, data.origin, width, cols)))
        return rows

    @staticmethod
    def _y_labels(top: float, rows_n: int, integer: bool) -> list[str]:
        """Every other row's value at its top edge; for whole numbers, each row the dots of a whole number fall in
        is labelled with it."""
        if not integer:
            return [short(top * (rows_n - r) / rows_n) if r % 2 == 0 or rows_n <= 4 else "" for r in range(rows_n)]
        labels = [""] * rows_n
        dots_h = rows_n * 4
        for k in range(1, math.floor(top) + 1):
            y = min(dots_h - 1, int(k * dots_h / top))
            labels[(dots_h - 1 - y) // 4] = str(k)
        return labels

    @staticmethod
    def _columns(ts: Sequence[float], start: float, span: float, dots_w: int, i_from: int, x_from: int) -> list[int]:
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

    def _summaries(
        self, index: int, line: Line, start: float, span: float, dots_w: int, generation: object
    ) -> list[Summary]:
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
        self._reused_columns = 0
        kept = self._summary_cache.get(index) if generation is not None else None
        if kept is not None and kept.key == key:
            k = kept.points
            if k == 0 or (i0 + k <= n and ts[i0] == kept.first_t and ts[i0 + k - 1] == kept.last_t):
                x_from, i_from = len(kept.closed), i0 + k
                sums.extend(kept.closed)
                self._reused_columns = x_from
        bounds = self._columns(ts, start, span, dots_w, i_from, x_from)
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
            self._next_summaries[index] = _Kept(key, tuple(sums[:last_x]), points, first_t, last_t)
        return sums

    def _draw(self, index, line, cells, colour, start, span, top, dots_h, dots_w, generation) -> None:  # type: ignore[no-untyped-def]
        """Each dot column gets the min..max of its points, joined to the previous point; a missing value (NaN)
        breaks the line. The dots of the complete columns are kept with their summaries (for the same scale), so a
        second more of a full window draws the newest columns only."""
        sums = self._summaries(index, line, start, span, dots_w, generation)
        closed = self._next_summaries.get(index)
        scale = dots_h / top if top > 0 else 0.0
        top_dot = dots_h - 1
        key = (closed.key if closed is not None else None, scale, top_dot)
        kept = self._drawn_cache.get(index)
        reused = self._reused_columns
        if kept is not None and closed is not None and kept[0] == key and kept[1] <= reused:
            _, x_from, painted, px, py = kept  # the previous build's, not needed after this one
        else:
            x_from, painted, px, py = 0, {}, -1, -1

        def dot(v: float) -> int:
            return min(top_dot, max(0, int(v * scale)))

        def dots(x: int, a: int, b: int) -> None:
            c, sub = divmod(x, 2)
            for y in range(a, b + 1):
                r, d = divmod(top_dot - y, 4)
                painted[r, c] = painted.get((r, c), 0) | DOT[d][sub]

        done = len(closed.closed) if closed is not None else -1
        for x in range(x_from, dots_w):
            if x == done:
                self._next_drawn[index] = (key, x, dict(painted), px, py)
            summary = sums[x]
            if summary is None:
                continue
            v_lo, v_hi, v_first, v_last, broken = summary
            if v_lo != v_lo:  # only missing values
                px = -1
                continue
            a, b = dot(v_lo), dot(v_hi)
            if px >= 0:  # join to the previous point, across the columns between them
                first = dot(v_first)
                y0 = py
                for gx in range(px + 1, x):
                    gy = round(py + (first - py) * (gx - px) / (x - px))
                    dots(gx, min(y0, gy), max(y0, gy))
                    y0 = gy
                a, b = min(a, y0), max(b, y0)
            dots(x, a, b)
            px, py = (-1, -1) if broken else (x, dot(v_last))
        for (r, c), bits in painted.items():
            cells[r][c] |= bits
            colour[r][c] = index

    def _cells_row(self, cells, colour, shaded, marks, first: bool) -> list[Segment]:  # type: ignore[no-untyped-def]
        """One row of the plot; on the first, each marker's label where it does not run into the one before."""
        labels: dict[int, str] = {}
        if first:
            free = 0
            for c in sorted(marks):
                if c >= free and marks[c]:
                    labels[c] = marks[c][: len(cells) - c]
                    free = c + len(labels[c]) + 1
        segs: list[Segment] = []
        c, cols = 0, len(cells)
        plain = Style()
        while c < cols:
            if c in labels:
                text = labels[c]
                segs.append(Segment(text, self.marker_style + self.shade if shaded[c] else self.marker_style))
                c += len(text)
                continue
            style = colour[c] or plain
            if cells[c]:
                ch = chr(BRAILLE + cells[c])
            elif c in marks:
                ch, style = "│", self.marker_style
            else:
                ch = " "
            segs.append(Segment(ch, style + self.shade if shaded[c] else style))
            c += 1
        return segs

    def _legend_rows(self, data: ChartData, width: int, most: int) -> list[Strip]:
        """The title then each line's label, in its colour, on as many rows as needed up to `most`; what does not
        fit is counted ("+2")."""
        rows: list[list[Segment]] = [[Segment(" " * (AXIS_W - 1) + data.title, Style(bold=True))]]
        used = AXIS_W - 1 + len(data.title)
        for i, line in enumerate(data.lines):
            entry = " ━" + line.label
            if used + len(entry) > width:
                if len(rows) == most:
                    more = f" +{len(data.lines) - i}"
                    while rows[-1] and used + len(more) > width:
                        used -= len(rows[-1].pop().text)
                    rows[-1].append(Segment(more, self.axis_style))
                    break
                rows.append([Segment(" " * (AXIS_W - 1))])
                used = AXIS_W - 1
            rows[-1].append(Segment(" "))
            rows[-1].append(Segment("━" + line.label, line.style))
            used += len(entry)
        return [Strip(segs).crop_extend(0, width, None) for segs in rows]

    def _time_row(self, start: float, end: float, origin: float, width: int, cols: int) -> Strip:
        """Ticks at round times since the origin, each labelled just after its tick where the label fits."""
        span = max(end - start, 1e-9)
        label_w = len(clock_label(end - origin)) + 2
        step = next((s for s in TICK_STEPS if cols * s / span >= label_w), TICK_STEPS[-1])
        chars = [" "] * width
        t = max(0, math.ceil((start - origin) / step)) * step
        free = 0
        while t + origin <= end:
            c = AXIS_W + int((t + origin - start) / span * cols)
            text = clock_label(t)
            if c >= free and c + 1 + len(text) <= width:
                chars[c] = "╵"
                chars[c + 1 : c + 1 + len(text)] = text
                free = c + 2 + len(text)
            t += step
        return Strip([Segment("".join(chars), self.axis_style)], width)
