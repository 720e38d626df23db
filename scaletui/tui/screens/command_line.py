"""`:` opens a one-line prompt at the bottom; Enter runs the verb (tui/intent_parser.py), Esc cancels, Tab completes
(tui/completion.py) and lists the candidates above the line when there are several."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from scaletui.tui.completion import Completer, Completion, Names

PLACEHOLDER = ":rescale OP N  :load step 300 900@5m  :fault delay T 100ms 30s  (Tab; ? help)"


class CommandLineScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete(1)", "Complete", priority=True),
        Binding("shift+tab", "complete(-1)", "Previous", priority=True),
    ]
    DEFAULT_CSS = """
    CommandLineScreen { align: left bottom; background: $background 0%; }
    CommandLineScreen > Vertical { dock: bottom; height: auto; }
    CommandLineScreen Input { width: 100%; border: tall $primary; }
    CommandLineScreen #candidates { width: 100%; height: auto; max-height: 4; padding: 0 1; background: $panel;
        display: none; }
    """

    def __init__(self, text: str = "", names: Callable[[], Names] = Names) -> None:
        """`names`: what the arguments can be, read at each fresh Tab (the session changes while the line is open)."""
        super().__init__()
        self.text = text
        self.names = names
        self.completer = Completer()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="candidates")
            yield Input(self.text, placeholder=PLACEHOLDER)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self, step: int) -> None:
        line = self.query_one(Input)
        done = self.completer.complete(line.value, self.names(), step)
        line.value = done.value
        line.cursor_position = len(done.value)
        self._show(done)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing ends a completion: its list goes."""
        if event.value != self.completer.shown:
            self.query_one("#candidates", Static).display = False

    def _show(self, done: Completion) -> None:
        shown = self.query_one("#candidates", Static)
        shown.display = bool(done.options)
        words = [Text(o, style="reverse" if n == done.index else "") for n, o in enumerate(done.options)]
        shown.update(Text("  ").join(words))
