"""A time chart drawn in braille, cheap enough to redraw every second with an hour of points.

The pane hands it lines (times and values), shaded spans and labelled markers; the chart downsamples each line to
its own dot width (two dots per cell: the min and max of each column's points, joined to the next column, so a
one-sample spike still shows), builds its rows once and serves them from `render_line` until the data or its size
changes. The scale is robust: zero to a little over the larger of the 98th percentile and the recent maximum, so
an old spike (clipped at the top) cannot flatten a later rise. The first row is the title and a legend that fits;
the last is the time axis, as time since `origin` (the run's start).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
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


def robust_top(lines: Sequence[Line], start: float, end: float, integer: bool = False) -> float:
    values = sorted(v for line in lines for v in line.vs if math.isfinite(v))
    if not values:
        return 1.0
    recent_from = end - (end - start) * RECENT
    recent = [v for line in lines for t, v in zip(line.ts, line.vs) if t >= recent_from and math.isfinite(v)]
    top = max(values[min(len(values) - 1, int(len(values) * 0.98))], max(recent, default=0.0))
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

    def show(self, data: ChartData) -> None:
        self.data = data
        self._rows = []
        self.refresh()

    def set_styles(self, shade: Style, marker: Style, axis: Style) -> None:
        self.shade, self.marker_style, self.axis_style = shade, marker, axis
        self._rows = []
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        if not self._rows or self._built_for != (width, height):
            self._rows = self.build(width, height)
            self._built_for = (width, height)
        return self._rows[y] if 0 <= y < len(self._rows) else Strip.blank(width)

    # --- building the rows -----------------------------------------------------------------------------------------

    def build(self, width: int, height: int) -> list[Strip]:
        data = self.data
        if data is None or width < AXIS_W + 4 or height < 4:
            return [Strip.blank(width) for _ in range(height)]
        legend = self._legend_rows(data, width, 2 if height >= 7 else 1)
        rows_n, cols = height - 1 - len(legend), width - AXIS_W
        span = max(data.end - data.start, 1e-9)
        top = robust_top(data.lines, data.start, data.end, data.integer)
        if data.ceiling is not None:
            top = min(top, data.ceiling)

        def col_of(t: float) -> float:
            return (t - data.start) / span * cols

        cells = [[0] * cols for _ in range(rows_n)]
        colour: list[list[Style | None]] = [[None] * cols for _ in range(rows_n)]
        dots_h = rows_n * 4
        for line in data.lines:
            self._draw(line, cells, colour, col_of, top, dots_h, cols * 2)
        shaded = [False] * cols
        for s in data.spans:
            a = max(0, math.floor(col_of(s.start)))
            b = min(cols - 1, math.floor(col_of(s.end if s.end is not None else data.end)))
            for c in range(a, b + 1):
                shaded[c] = True
        marks: dict[int, str] = {}
        for m in data.markers:
            c = math.floor(col_of(m.at))
            if 0 <= c < cols:
                marks[c] = m.label
        rows = legend
        labels = self._y_labels(top, rows_n, data.integer)
        for r, label in enumerate(labels):
            segs = [Segment(f"{label:>{AXIS_W - 1}}┤", self.axis_style)]
            segs.extend(self._cells_row(cells[r], colour[r], shaded, marks, r == 0))
            rows.append(Strip(segs, width).simplify())
        rows.append(self._time_row(data, width, cols))
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

    def _draw(self, line, cells, colour, col_of, top, dots_h, dots_w) -> None:  # type: ignore[no-untyped-def]
        """Each dot column gets the min..max of its points, joined to the previous point; a missing value (NaN)
        breaks the line."""
        lo: list[int] = [-1] * dots_w
        hi: list[int] = [-1] * dots_w
        first: list[int] = [-1] * dots_w
        last: list[int] = [-1] * dots_w
        broken = [False] * dots_w
        scale = dots_h / top if top > 0 else 0.0
        top_dot = dots_h - 1
        for t, v in zip(line.ts, line.vs):
            x = min(max(int(col_of(t) * 2), 0), dots_w - 1)
            if v != v or v in (math.inf, -math.inf):
                broken[x] = True
                continue
            y = min(top_dot, max(0, int(v * scale)))
            if lo[x] < 0:
                lo[x] = hi[x] = first[x] = y
            elif y < lo[x]:
                lo[x] = y
            elif y > hi[x]:
                hi[x] = y
            last[x] = y
        style = line.style

        def dots(x: int, a: int, b: int) -> None:
            c, sub = divmod(x, 2)
            for y in range(a, b + 1):
                r, dot = divmod(top_dot - y, 4)
                cells[r][c] |= DOT[dot][sub]
                colour[r][c] = style

        px = py = -1
        for x in range(dots_w):
            if lo[x] < 0:
                if broken[x]:
                    px = -1
                continue
            a, b = lo[x], hi[x]
            if px >= 0:  # join to the previous point, across the columns between them
                y0 = py
                for gx in range(px + 1, x):
                    gy = round(py + (first[x] - py) * (gx - px) / (x - px))
                    dots(gx, min(y0, gy), max(y0, gy))
                    y0 = gy
                a, b = min(a, y0), max(b, y0)
            dots(x, a, b)
            px, py = (-1, -1) if broken[x] else (x, last[x])

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

    def _time_row(self, data: ChartData, width: int, cols: int) -> Strip:
        """Ticks at round times since the origin, each labelled just after its tick where the label fits."""
        span = max(data.end - data.start, 1e-9)
        label_w = len(clock_label(data.end - data.origin)) + 2
        step = next((s for s in TICK_STEPS if cols * s / span >= label_w), TICK_STEPS[-1])
        chars = [" "] * width
        t = max(0, math.ceil((data.start - data.origin) / step)) * step
        free = 0
        while t + data.origin <= data.end:
            c = AXIS_W + int((t + data.origin - data.start) / span * cols)
            text = clock_label(t)
            if c >= free and c + 1 + len(text) <= width:
                chars[c] = "╵"
                chars[c + 1 : c + 1 + len(text)] = text
                free = c + 2 + len(text)
            t += step
        return Strip([Segment("".join(chars), self.axis_style)], width)
