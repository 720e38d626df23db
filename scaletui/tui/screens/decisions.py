"""Decision history (`h` in Plots, `:decisions`): every decision of the run on screen, live or replayed, with its
time, strategy, from → to, whether it was applied ("in progress" from the moment it is made until its rescale
ends, which on a testbed can take minutes), how long the rescale took, the numbers it decided on and its
reason in full. The table is for scanning; the panel under it shows the highlighted decision whole (the strategy
line has room for the last reason only, and not always all of it).

It reads the same bounded series as the plots (`RunView.series`), so it follows a live run and a replay alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from scaletui.results.decision_rows import Entry, entries
from scaletui.tui.actions import bindings
from scaletui.tui.widgets.filter_table import FilterTable, Row
from scaletui.tui.widgets.status import MessageLine

if TYPE_CHECKING:
    from scaletui.engine.view import RunView

EMPTY = "No decision yet: an autoscaler decides every interval once it runs (a in Plots chooses one)."
COLUMNS = ["t", "Strategy", "Change", "Applied", "Took", "Target", "Achieved", "p99", "Reason"]


def number(value: Any, unit: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}{unit}"


def decision_row(index: int, e: Entry, origin: float) -> Row:
    d = e.decision
    inputs = d.inputs or {}
    latency = inputs.get("latency_ms") or {}
    took = f"{d.rescale_s:.1f}s" if d.rescale_s is not None else "…" if d.in_progress else "-"
    cells = [
        f"{d.ts - origin:.0f}s",
        d.strategy,
        e.change,
        e.applied,
        took,
        number(inputs.get("target_rate")),
        number(inputs.get("achieved_rate")),
        number(latency.get("p99") if isinstance(latency, dict) else None),
        d.reason,
    ]
    return str(index), cells


def detail_text(e: Entry, origin: float) -> str:
    """One decision whole: when, what, the reason, and the observation behind it (job and per operator)."""
    d = e.decision
    t = d.ts - origin
    head = f"{int(t // 60)}:{int(t % 60):02d} ({t:.0f}s)  {d.strategy}: {e.change}  applied: {e.applied}"
    if d.rescale_s is not None:
        head += f" in {d.rescale_s:.1f}s"
    inputs = d.inputs or {}
    latency = inputs.get("latency_ms") or {}
    job = [
        f"target {number(inputs.get('target_rate'), ' r/s')}",
        f"achieved {number(inputs.get('achieved_rate'), ' r/s')}",
        f"backlog {number(inputs.get('backlog'))}",
    ]
    if isinstance(latency, dict) and latency:
        job.append("latency " + " ".join(f"{q} {number(v, 'ms')}" for q, v in latency.items()))
    for key, label in (("taskmanagers", "TMs"), ("free_slots", "free slots"), ("window_s", "window s")):
        if key in inputs:
            job.append(f"{label} {number(inputs[key])}")
    lines = [head, f"reason: {d.reason}", "inputs: " + ", ".join(job)]
    operators = inputs.get("operators") or {}
    if isinstance(operators, dict):
        for name, op in operators.items():
            if isinstance(op, dict):
                lines.append(
                    f"  {name}: p {number(op.get('parallelism'))}, in {number(op.get('in_rate'), ' r/s')}, "
                    f"out {number(op.get('out_rate'), ' r/s')}, busy {number(op.get('busy_ms'), ' ms/s')}, "
                    f"backpressured {number(op.get('backpressured_ms'), ' ms/s')}"
                )
    return "\n".join(lines)


class DecisionsScreen(Screen[None]):
    BINDINGS = bindings("decisions")
    DEFAULT_CSS = """
    DecisionsScreen .title { background: $panel; padding: 0 1; height: auto; }
    DecisionsScreen FilterTable { height: 1fr; }
    DecisionsScreen #decision-detail { height: auto; max-height: 12; padding: 0 1; background: $boost; }
    """

    def __init__(self, view: RunView, origin: Callable[[], float | None], settings: str = "") -> None:
        """`origin` is the plots' time zero (the run's start), so the times here match the chart's axis."""
        super().__init__()
        self.view = view
        self.origin = origin
        self.settings = settings
        self._shown: tuple[int, float, int] | None = None
        self._entries: list[Entry] = []

    def compose(self) -> ComposeResult:
        title = "Decision history  (Esc back, / filter, o sort)"
        if self.settings:
            title += f"\n{self.settings}"
        yield Static(title, classes="title")
        yield FilterTable(COLUMNS, EMPTY, id="decisions")
        yield Static("", id="decision-detail")
        yield MessageLine()
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)
        self.query_one(FilterTable).table.focus()

    def _zero(self) -> float:
        origin = self.origin()
        if origin is not None:
            return origin
        return self._entries[0].decision.ts if self._entries else 0.0

    def refresh_rows(self) -> None:
        """Rebuild the rows only when a decision was added or one in progress ended (or a replay seeked back)."""
        decisions = self.view.series.decisions_between()
        mark = (len(decisions), decisions[-1].ts if decisions else 0.0, sum(d.in_progress for d in decisions))
        if mark == self._shown:
            return
        follow = self._at_end()
        self._shown, self._entries = mark, entries(decisions)
        origin = self._zero()
        table = self.query_one(FilterTable)
        table.set_rows(decision_row(i, e, origin) for i, e in enumerate(self._entries))
        if follow and table.table.row_count:
            table.table.move_cursor(row=table.table.row_count - 1)
        self._detail()

    def _at_end(self) -> bool:
        """The cursor is on the newest decision (or there is none yet): then it follows new ones."""
        table = self.query_one(FilterTable).table
        return table.row_count == 0 or table.cursor_row >= table.row_count - 1

    def _detail(self) -> None:
        key = self.query_one(FilterTable).selected_key()
        text = ""
        if key is not None and key.isdigit() and int(key) < len(self._entries):
            text = detail_text(self._entries[int(key)], self._zero())
        self.query_one("#decision-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def action_back(self) -> None:
        self.app.pop_screen()
