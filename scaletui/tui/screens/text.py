"""A full-screen text view for logs and descriptions: scroll with the arrows or PgUp/PgDn, `r` reloads, Esc back.

A log opens at its end (the latest lines); a description at its top. A log's lines are kept whole (scroll sideways);
the messages (`M`) wrap at the screen's width, so each reads whole at 80 columns. The message line under it answers a
`:` command typed here.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static

from scaletui.tui.widgets.status import MessageLine


class TextScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("r", "reload", "Reload")]
    DEFAULT_CSS = """
    TextScreen > Static { height: 1; background: $panel; padding: 0 1; }
    TextScreen > RichLog { height: 1fr; }
    TextScreen > RichLog.-wrapped { scrollbar-gutter: stable; overflow-x: hidden; }
    """

    def __init__(self, title: str, load: Callable[[], str], end: bool = False, hanging: int | None = None) -> None:
        """`hanging`: wrap each line at the width, its continuation rows that many columns in (a message's text
        under its time and level); None keeps lines whole, as a log's."""
        super().__init__()
        self.title_text = title
        self.load = load
        self.end = end
        self.hanging = hanging
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text}  (Esc back, r reloads)")
        wrapped = self.hanging is not None
        classes = "-wrapped" if wrapped else ""
        yield RichLog(wrap=wrapped, markup=False, highlight=False, max_lines=5000, classes=classes)
        yield MessageLine()
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._fetch, thread=True, exit_on_error=False, name="loading")

    def _fetch(self) -> None:
        try:
            text = self.load()
        except Exception as e:
            text = f"Cannot load: {e}"
        self.app.call_from_thread(self._show, text)

    def on_resize(self) -> None:
        """Wrapped lines are drawn at the width they were written at: wrap them again at the new one."""
        if self.hanging is not None and self.text:
            self._show(self.text)

    def _show(self, text: str) -> None:
        self.text = text
        log = self.query_one(RichLog)
        log.clear()
        log.write(Text(text) if self.hanging is None else hanging_rows(text, self.hanging), scroll_end=self.end)
        if not self.end:
            log.scroll_home(animate=False)
        log.focus()


def hanging_rows(text: str, indent: int) -> Table:
    """Each line as a row: its first `indent` columns, then the rest wrapped beside them (a long word is cut)."""
    rows = Table.grid()
    rows.add_column(width=indent, no_wrap=True)
    rows.add_column(overflow="fold")
    for line in text.splitlines():
        rows.add_row(Text(line[:indent]), Text(line[indent:]))
    return rows
