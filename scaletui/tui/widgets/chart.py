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
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from scaletui.results.decision_rows import STEP_LEGEND
from scaletui.tui.widgets.chart_columns import ColumnSums
from scaletui.tui.widgets.chart_data import ChartData, clock_label, robust_top, short

BRAILLE = 0x2800
DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Braille dot bits by (row within the cell, column within the cell)."""
AXIS_W = 6


TICK_STEPS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
STEP_MARK = "┆"
"""The line of a step that changed the job (a rescale or TaskManager change by hand or by the experiment file's
timeline); a decision's is "│"."""


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
        self.step_style = Style()
        self.axis_style = Style(dim=True)
        self._rows: list[Strip] = []
        self._built_for: tuple[int, int] = (0, 0)
        self._row_cache: dict[tuple[object, ...], Strip] = {}
        self._prev_cache: dict[tuple[object, ...], Strip] = {}
        self._legend: dict[tuple[object, ...], list[Strip]] = {}
        self._columns = ColumnSums()
        self._drawn_cache: dict[int, tuple[object, int, dict[tuple[int, int], int], int, int]] = {}
        self._next_drawn: dict[int, tuple[object, int, dict[tuple[int, int], int], int, int]] = {}

    def show(self, data: ChartData) -> None:
        """Draw `data`: the rows are rebuilt now and only those that differ from what is on screen are refreshed
        (a second of a full window moves the last dot column and little else)."""
        self.data = data
        self._update()

    def use_styles(self, shade: Style, marker: Style, axis: Style, step: Style) -> None:
        """The fault shade, the decision markers', the axes' and the step markers' styles, for the next `show`
        (not Textual's `set_styles`)."""
        self.shade, self.marker_style, self.axis_style = shade, marker, axis
        self.step_style = step

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
        styles = (self.shade, self.marker_style, self.axis_style, self.step_style)
        legend_most = 2 if height >= 7 else 1
        labels_key = tuple((line.label, line.style) for line in data.lines)
        stepped = any(m.stepped for m in data.markers)
        legend_key = (data.title, labels_key, width, legend_most, self.axis_style, stepped, self.step_style)
        if legend_key not in self._legend:
            self._legend = {legend_key: self._legend_rows(data, width, legend_most, stepped)}
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
        self._columns.begin()
        self._next_drawn = {}
        for index, line in enumerate(data.lines):
            self._draw(index, line, cells, colour, start, span, top, dots_h, dots_w, data.generation)
        self._columns.end()
        self._drawn_cache = self._next_drawn
        shaded = [False] * cols
        for sp in data.spans:
            a = max(0, math.floor(col_of(sp.start)))
            b = min(cols - 1, math.floor(col_of(sp.end if sp.end is not None else end)))
            for c in range(a, b + 1):
                shaded[c] = True
        marks: dict[int, tuple[str, bool]] = {}
        for m in data.markers:
            c = math.floor(col_of(m.at))
            if c == cols and m.at <= data.end:  # after the snapped end, before the last point: the last column
                c = cols - 1
            if 0 <= c < cols and not (c in marks and marks[c][1] and not m.stepped):  # a step stays seen
                marks[c] = (m.label, m.stepped)
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

    def _draw(self, index, line, cells, colour, start, span, top, dots_h, dots_w, generation) -> None:  # type: ignore[no-untyped-def]
        """Each dot column gets the min..max of its points, joined to the previous point; a missing value (NaN)
        breaks the line. The dots of the complete columns are kept with their summaries (for the same scale), so a
        second more of a full window draws the newest columns only."""
        sums = self._columns.sums(index, line, start, span, dots_w, generation)
        closed = self._columns.closed(index)
        scale = dots_h / top if top > 0 else 0.0
        top_dot = dots_h - 1
        key = (closed.key if closed is not None else None, scale, top_dot)
        kept = self._drawn_cache.get(index)
        reused = self._columns.reused
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
        """One row of the plot; on the first, each marker's label where it does not run into the one before. A
        decision is a solid line in the decision style, a step a dashed one (STEP_MARK) in its own."""
        labels: dict[int, str] = {}
        if first:
            free = 0
            for c in sorted(marks):
                if c >= free and marks[c][0]:
                    labels[c] = marks[c][0][: len(cells) - c]
                    free = c + len(labels[c]) + 1
        segs: list[Segment] = []
        c, cols = 0, len(cells)
        plain = Style()
        while c < cols:
            if c in labels:
                text = labels[c]
                mark = self.step_style if marks[c][1] else self.marker_style
                segs.append(Segment(text, mark + self.shade if shaded[c] else mark))
                c += len(text)
                continue
            style = colour[c] or plain
            if cells[c]:
                ch = chr(BRAILLE + cells[c])
            elif c in marks:
                ch, style = (STEP_MARK, self.step_style) if marks[c][1] else ("│", self.marker_style)
            else:
                ch = " "
            segs.append(Segment(ch, style + self.shade if shaded[c] else style))
            c += 1
        return segs

    def _legend_rows(self, data: ChartData, width: int, most: int, stepped: bool) -> list[Strip]:
        """The title then each line's label, in its colour, on as many rows as needed up to `most`, and the marker
        of the steps when there are any; what does not fit is counted ("+2")."""
        rows: list[list[Segment]] = [[Segment(" " * (AXIS_W - 1) + data.title, Style(bold=True))]]
        used = AXIS_W - 1 + len(data.title)
        entries = [("━" + line.label, line.style) for line in data.lines]
        if stepped:
            entries.append((STEP_MARK + STEP_LEGEND, self.step_style))
        for i, (text, style) in enumerate(entries):
            if used + 1 + len(text) > width:
                if len(rows) == most:
                    more = f" +{len(entries) - i}"
                    while rows[-1] and used + len(more) > width:
                        used -= len(rows[-1].pop().text)
                    rows[-1].append(Segment(more, self.axis_style))
                    break
                rows.append([Segment(" " * (AXIS_W - 1))])
                used = AXIS_W - 1
            rows[-1].append(Segment(" "))
            rows[-1].append(Segment(text, style))
            used += 1 + len(text)
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
