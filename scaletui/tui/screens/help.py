"""`?`: every key and `:` verb of the app, grouped by pane, read from the actions table (so it cannot drift)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from scaletui.tui.actions import ACTIONS, SCOPE_TITLES, key_label


def help_table(keymap: dict[str, str]) -> Table:
    table = Table(box=None, padding=(0, 2), show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for scope, title in SCOPE_TITLES.items():
        rows = [a for a in ACTIONS if a.scope == scope]
        if not rows:
            continue
        table.add_row(f"[u]{title}[/u]", "")
        for a in rows:
            table.add_row(key_label(keymap.get(a.id, a.key)), a.palette or a.description)
    table.add_row("[u]Dialogs[/u]", "")
    table.add_row("Esc", "close a dialog, a text view or the run history")
    table.add_row("[u]Commands (:)[/u]", "the same steps as an experiment file's timeline")
    for a in ACTIONS:
        if a.verb:
            table.add_row(f":{a.verb_word}", f":{a.verb}  {a.palette or a.description}")
    table.add_row("", "e.g. :rescale expensive 4, :load step 300 900@5m, :fault delay taskmanager-1 100ms 30s")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $primary;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("scaletui keys: Esc closes", classes="title")
            yield Static(help_table(self.keymap))

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
