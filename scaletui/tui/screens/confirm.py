"""A yes/no question before something that cannot be undone (stopping a cluster, quitting with work live)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; max-width: 100%; height: auto; border: round $state-warn;
        background: $surface; padding: 0 1; }
    ConfirmScreen .keys { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: str, keys: str = "y for yes, n or Esc for no.") -> None:
        super().__init__()
        self.question = question
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.question}[/b]", markup=True)
            yield Static(self.keys, classes="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
