"""`?`: every key and `:` verb of the app, grouped by pane, read from the actions table (so it cannot drift). In a
replay, only the keys that work there: the replay's own first, then those that only read; no live pane, no `:`."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from scaletui.scaling.loop_settings import LIVE_DEFAULTS
from scaletui.tui.actions import ACTIONS, SCOPE_TITLES, key_label, replay_refused_keys, works_in_replay

LOOP_HELP = (
    ":strategy ds2 interval=5s window=10s cooldown=30s also sets the loop (kept for the next strategies); "
    f"its defaults and guard rails: \\[strategy] in {LIVE_DEFAULTS}"
)


def help_table(keymap: dict[str, str], replay: bool = False) -> Table:
    table = Table(box=None, padding=(0, 2), show_header=False)
    table.add_column(style="bold")
    table.add_column()
    scopes = ["replay", *(s for s in SCOPE_TITLES if s != "replay")] if replay else list(SCOPE_TITLES)
    for scope in scopes:
        rows = [a for a in ACTIONS if a.scope == scope and (works_in_replay(a) or not replay)]
        if not rows:
            continue
        table.add_row(f"[u]{SCOPE_TITLES[scope]}[/u]", "")
        for a in rows:
            key = replay_refused_keys(keymap) if a.id == "replay.live_only" else keymap.get(a.id, a.key)
            table.add_row(key_label(key) if key else f":{a.verb_word}", a.palette or a.description)
    table.add_row("[u]Dialogs[/u]", "")
    table.add_row("Esc", "close a dialog, a text view or the run history")
    if replay:
        return table
    table.add_row("[u]Commands (:)[/u]", "the same steps as an experiment file's timeline")
    for a in ACTIONS:
        if a.verb:
            table.add_row(f":{a.verb_word}", f":{a.verb}  {a.palette or a.description}")
    table.add_row("", "e.g. :rescale expensive 4, :load step 300 900@5m, :fault delay taskmanager-1 100ms 30s")
    table.add_row("", LOOP_HELP)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $primary;
        background: $surface; padding: 0 1; }
    """

    def __init__(self, keymap: dict[str, str], replay: bool = False) -> None:
        """`replay`: opened over a replay, it lists the replay's keys, not the live panes'."""
        super().__init__()
        self.keymap = keymap
        self.replay = replay

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                "replay keys (a recorded run): Esc closes" if self.replay else "scaletui keys: Esc closes",
                classes="title",
            )
            yield Static(help_table(self.keymap, self.replay))

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
