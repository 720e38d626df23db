"""A full-screen text view for logs and descriptions: scroll with the arrows or PgUp/PgDn, `r` reloads, Esc back.

A log opens at its end (the latest lines); a description at its top. The message line under it answers a `:` command
typed here.
"""

from __future__ import annotations

from collections.abc import Callable

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
    """

    def __init__(self, title: str, load: Callable[[], str], end: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.load = load
        self.end = end

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text}  (Esc back, r reloads)")
        yield RichLog(wrap=False, markup=False, highlight=False, max_lines=5000)
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

    def _show(self, text: str) -> None:
        log = self.query_one(RichLog)
        log.clear()
        log.write(Text(text), scroll_end=self.end)
        if not self.end:
            log.scroll_home(animate=False)
        log.focus()
