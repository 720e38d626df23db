"""One small dialog for every intent that needs input: a few fields, Enter submits, Esc cancels.

Fields are selects or one-line inputs; the result is a dict of strings. A dialog may `check` the values before it
closes: on an error it stays open with what was typed and shows the whole sentence, so nothing is retyped.
A select can drive a text field's example (`linked`): choosing a load profile shows that profile's syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from scaletui.errors import UserError


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    default: str = ""
    options: tuple[str, ...] = field(default_factory=tuple)
    """Non-empty: a select of these values; empty: a text input."""
    placeholder: str = ""


@dataclass(frozen=True)
class Linked:
    """When select `source` changes, text field `target` shows `examples[new value]`, unless the user edited it."""

    source: str
    target: str
    examples: dict[str, str]
    keep_placeholder: bool = False
    """A value with no example keeps the field's own placeholder (else it reads "none for VALUE")."""


HELP = "Tab moves between fields; Enter in a text field or Ctrl+S submits; Esc cancels."


class FormScreen(ModalScreen[dict[str, str] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Submit")]
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 0 1; }
    FormScreen Label { margin-top: 1; color: $text-muted; width: 100%; }
    FormScreen Input, FormScreen Select { background: $boost; }
    FormScreen SelectOverlay.-textual-compact { border: round $primary !important; background: $panel; }
    FormScreen .hint { color: $text-muted; margin-top: 1; }
    FormScreen #form-error { color: $state-fail; text-style: bold; margin-top: 1; display: none; }
    FormScreen #form-error.-shown { display: block; }
    """

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        hint: str = "",
        check: Callable[[dict[str, str]], object] | None = None,
        linked: Linked | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.hint = hint
        self.check = check
        self.linked = linked

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
                        compact=True,
                    )
                else:
                    yield Input(value=f.default, placeholder=f.placeholder, id=f"field-{f.name}", compact=True)
            yield Static("", id="form-error")
            yield Static((self.hint + "\n" if self.hint else "") + HELP, classes="hint")

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            value = widget.value if isinstance(widget, (Input, Select)) else ""
            out[f.name] = "" if value is Select.BLANK else str(value)
        return out

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")

    def on_select_changed(self, event: Select.Changed) -> None:
        link = self.linked
        if link is None or event.select.id != f"field-{link.source}":
            return
        target = self.query_one(f"#field-{link.target}", Input)
        example = link.examples.get(str(event.value), "")
        if example or not link.keep_placeholder:
            target.placeholder = example or f"none for {event.value}"
        if not target.value.strip() or target.value in link.examples.values():
            target.value = example

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        values = self.values()
        if self.check is not None:
            try:
                self.check(values)
            except UserError as e:
                self.show_error(str(e))
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
