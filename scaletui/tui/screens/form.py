"""One small dialog for every intent that needs input: a few fields, Enter submits, Esc cancels.

Fields are selects or one-line inputs; the result is a dict of strings. Validation stays in the engine, whose one
sentence comes back to the message line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    default: str = ""
    options: tuple[str, ...] = field(default_factory=tuple)
    """Non-empty: a select of these values; empty: a text input."""
    placeholder: str = ""


HELP = "Tab moves between fields; Enter in a text field or Ctrl+S submits; Esc cancels."


class FormScreen(ModalScreen[dict[str, str] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Submit")]
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical { width: 70; max-width: 95%; height: auto; border: round $primary; background: $surface;
        padding: 0 1; }
    FormScreen Label { margin-top: 1; }
    FormScreen .hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, title: str, fields: list[FormField], hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.title_text}[/b]")
            for f in self.fields:
                yield Label(f.label)
                if f.options:
                    yield Select(
                        [(o, o) for o in f.options],
                        value=f.default if f.default in f.options else f.options[0],
                        allow_blank=False,
                        id=f"field-{f.name}",
                    )
                else:
                    yield Input(value=f.default, placeholder=f.placeholder, id=f"field-{f.name}")
            yield Static((self.hint + "\n" if self.hint else "") + HELP, classes="hint")

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            value = widget.value if isinstance(widget, (Input, Select)) else ""
            out[f.name] = "" if value is Select.BLANK else str(value)
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)
