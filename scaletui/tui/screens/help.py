"""`?`: every key and `:` verb of the app, grouped by pane, read from the actions table (so it cannot drift). In a
replay, only the keys that work there: the replay's own first, then those that only read; no live pane, no `:`.

Each group is a title line and a two-column table whose key column has one width for every group (`KEY_WIDTH`), so
that at 80 columns the descriptions keep their room: a longer key list wraps in its own cell. `:help SECTION` (and
`:?`, at Commands) opens the help scrolled to a group.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from scaletui.tui.actions import ACTIONS, SCOPE_TITLES, key_label, replay_refused_keys, works_in_replay

KEY_WIDTH = 14
"""The key column: `:taskmanagers` fits; the replay's list of refused keys wraps instead of widening every row."""

SECTIONS = (*SCOPE_TITLES, "dialogs", "commands")
"""What `:help` takes: the name of one of `help_sections`' groups."""


@dataclass(frozen=True)
class HelpSection:
    name: str
    """The scope of its keys, "dialogs" or "commands": `:help NAME` scrolls to it."""
    title: str
    table: Table


def _table() -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), show_header=False, expand=True)
    table.add_column(style="bold", width=KEY_WIDTH, overflow="fold")
    table.add_column(ratio=1)
    return table


def help_sections(keymap: dict[str, str], replay: bool = False) -> list[HelpSection]:
    scopes = ["replay", *(s for s in SCOPE_TITLES if s != "replay")] if replay else list(SCOPE_TITLES)
    sections = []
    for scope in scopes:
        rows = [a for a in ACTIONS if a.scope == scope and (works_in_replay(a) or not replay)]
        if not rows:
            continue
        table = _table()
        for a in rows:
            key = replay_refused_keys(keymap) if a.id == "replay.live_only" else keymap.get(a.id, a.key)
            table.add_row(Text(key_label(key) if key else f":{a.verb_word}"), Text(a.palette or a.description))
        sections.append(HelpSection(scope, SCOPE_TITLES[scope], table))
    dialogs = _table()
    dialogs.add_row(Text("Esc"), Text("close a dialog, a text view or the run history"))
    sections.append(HelpSection("dialogs", "Dialogs", dialogs))
    if replay:
        return sections
    commands = _table()
    for a in ACTIONS:
        if a.verb:
            takes = f"{a.verb_args}  " if a.verb_args else ""  # the word is in the key column already
            commands.add_row(Text(f":{a.verb_word}"), Text(f"{takes}{a.palette or a.description}"))
    commands.add_row(
        Text("Tab"),
        Text("completes a command, then its names (operators, strategies, themes, panes) and parameters (key=)"),
    )
    commands.add_row(
        Text(), Text("e.g. :rescale expensive 4, :load step 300 900@5m, :fault delay taskmanager-1 100ms 30s")
    )
    from scaletui.config.models import LOOP_KEYS  # the config models load when the help opens, not before
    from scaletui.scaling.loop_settings import LIVE_DEFAULTS

    loop_help = (
        ":strategy ds2 interval=5s cooldown=30s max_parallelism=6 also sets the loop's settings, kept for the next "
        f"strategies ({', '.join(LOOP_KEYS)}); their defaults: [strategy] in {LIVE_DEFAULTS}"
    )
    commands.add_row(Text(), Text(loop_help))
    title = "Commands (:)  the same steps as an experiment file's timeline"
    sections.append(HelpSection("commands", title, commands))
    return sections


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $primary;
        background: $surface; padding: 0 1; }
    HelpScreen .section { text-style: underline; margin-top: 1; }
    """

    def __init__(self, keymap: dict[str, str], replay: bool = False, section: str = "") -> None:
        """`replay`: opened over a replay, it lists the replay's keys, not the live panes'. `section`: the group to
        scroll to (one of SECTIONS)."""
        super().__init__()
        self.keymap = keymap
        self.replay = replay
        self.section = section

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                "replay keys (a recorded run): Esc closes" if self.replay else "scaletui keys: Esc closes",
                classes="title",
            )
            for section in help_sections(self.keymap, self.replay):
                yield Static(section.title, classes="section", id=f"help-{section.name}")
                yield Static(section.table)

    def on_mount(self) -> None:
        if self.section:
            self.call_after_refresh(self._scroll_to_section)

    def _scroll_to_section(self) -> None:
        found = self.query(f"#help-{self.section}")
        if found:
            self.query_one(VerticalScroll).scroll_to_widget(found.first(), top=True, animate=False)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
