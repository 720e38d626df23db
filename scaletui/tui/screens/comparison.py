"""The comparison `c` makes in the run history, laid out for the screen: who each letter is, then one boxed table
whose cells wrap to the width (as a run's summary does), the notes and where the overlay plots are.

compare.md on disk holds the same, as markdown. Columns keep a least width: a comparison of many runs is wider than
the screen, and scrolls sideways rather than wrapping every cell to a few characters.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Footer, Static

from scaletui.results.compare import Comparison
from scaletui.tui.widgets.status import MessageLine

LEAST_WIDTH = 12
"""A column's least width: `4,285.5 ms` and `+0.0 ms (+0.0%)` on at most two lines."""


def boxed_table(comparison: Comparison) -> Table:
    table = Table(box=box.ROUNDED, show_lines=True, header_style="bold")
    for name in comparison.header:
        table.add_column(Text(name), min_width=LEAST_WIDTH, overflow="fold")
    for row in comparison.rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def least_width(comparison: Comparison) -> int:
    """The table's width with every column at its least (a border and 1 of padding each side), and the screen's
    padding: wider than the screen, the table scrolls sideways."""
    return len(comparison.header) * (LEAST_WIDTH + 3) + 1 + 2


def legend(comparison: Comparison) -> Table:
    """One row a run: its letter, then what it is, wrapped beside the letter."""
    rows = Table.grid(padding=(0, 1))
    rows.add_column(no_wrap=True, style="bold")
    rows.add_column(overflow="fold")
    for letter, what in comparison.legend:
        rows.add_row(Text(f"{letter}:"), Text(what))
    return rows


class ComparisonScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ComparisonScreen > .title { height: 1; background: $panel; padding: 0 1; }
    ComparisonScreen #comparison { height: 1fr; }
    ComparisonScreen #comparison > Static { width: 100%; padding: 0 1; margin-bottom: 1; }
    """

    def __init__(self, title: str, comparison: Comparison) -> None:
        super().__init__()
        self.title_text = title
        self.comparison = comparison

    def compose(self) -> ComposeResult:
        done = self.comparison
        yield Static(Text(f"{self.title_text}  (Esc back)"), classes="title")
        with ScrollableContainer(id="comparison"):
            yield Static(legend(done), id="comparison-legend")
            table = Static(boxed_table(done), id="comparison-table")
            table.styles.min_width = least_width(done)
            yield table
            plots = f"Overlay plots: {', '.join(p.name for p in done.plots)} in {done.markdown.parent}."
            notes = [*done.notes, plots if done.plots else "", f"As markdown: {done.markdown}"]
            yield Static(Text("\n".join(n for n in notes if n)), id="comparison-notes")
        yield MessageLine()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#comparison").focus()
