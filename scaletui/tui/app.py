"""The Textual app: header, the five panes as tabs, the message line and the footer.

The app renders engine state and sends intents; every blocking call runs in a named thread worker. Engine events
arrive through the bus as messages; session changes arrive as snapshots.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer, TabbedContent, TabPane

from scaletui.engine import Engine
from scaletui.events import ErrorEvent, Event, Notice
from scaletui.session.model import Session
from scaletui.tui import clock
from scaletui.tui.actions import PANE_TITLES, PANES, Action, bindings
from scaletui.tui.commands import resolve
from scaletui.tui.messages import EngineEvent, SessionChanged
from scaletui.tui.palette import ActionsProvider
from scaletui.tui.panes.base import Pane
from scaletui.tui.panes.chaos import ChaosPane
from scaletui.tui.panes.plots import PlotsPane
from scaletui.tui.panes.pods import PodsPane
from scaletui.tui.panes.reservations import ReservationsPane
from scaletui.tui.panes.stages import StagesPane
from scaletui.tui.screens.command_line import CommandLineScreen
from scaletui.tui.screens.help import HelpScreen
from scaletui.tui.themes import load_themes
from scaletui.tui.widgets.status import MessageLine, StatusBar

PANE_CLASSES: dict[str, type[Pane]] = {
    "reservations": ReservationsPane,
    "stages": StagesPane,
    "pods": PodsPane,
    "plots": PlotsPane,
    "chaos": ChaosPane,
}


class ScaletuiApp(App[int]):
    CSS_PATH = str(Path(__file__).parent / "app.tcss")
    TITLE = "scaletui"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider}

    def __init__(self, engine: Engine, replay: Path | None = None) -> None:
        """`replay`: open straight on the replay of this run directory, and quit when it is left."""
        super().__init__()
        self.engine = engine
        self.replay = replay
        self.themes = load_themes()
        self.active_pane = engine.store.session.ui.pane if engine.store.session.ui.pane in PANES else PANES[0]
        self._unsubscribe = engine.bus.subscribe(lambda event: self.post_message(EngineEvent(event)))
        self._stop_session_watch = engine.store.on_change(
            lambda session, parts: self.post_message(SessionChanged(session, parts))
        )

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with TabbedContent(initial=f"tab-{self.active_pane}"):
            for name in PANES:
                with TabPane(f"{PANES.index(name) + 1} {PANE_TITLES[name]}", id=f"tab-{name}"):
                    yield PANE_CLASSES[name](self.engine)
        yield MessageLine(id="message")
        yield Footer()

    def on_mount(self) -> None:
        for theme in self.themes.values():
            self.register_theme(theme)
        self.theme = self.initial_theme()
        if self.engine.config.keymap:
            self.set_keymap(self.engine.config.keymap)
        self.refresh_session()
        self.set_interval(1.0, self._tick_status)
        self.focus_pane(self.active_pane)
        self.say(f"Session {self.engine.name} at {self.engine.session_dir}. Press ? for every key, : for commands.")
        for line in self.engine.startup_messages:
            self.say(line, "warning")
            self.notify(line, severity="warning", timeout=15)
        self.run_worker(self.engine.restore_history, thread=True, name="restoring the plots", exit_on_error=False)
        if self.replay is not None:
            from scaletui.tui.screens.replay import open_replay

            self.push_screen(open_replay(self.engine, self.replay), lambda _: self.exit(0))

    def initial_theme(self) -> str:
        if os.environ.get("NO_COLOR"):
            return "ansi16"
        for name in (self.engine.store.session.ui.theme, self.engine.config.theme):
            if name in self.themes:
                return name
        return "dark"

    # --- state in ------------------------------------------------------------------------------------------------

    def refresh_session(self) -> None:
        session = self.engine.store.session
        self._show_status(session)
        for pane in self.query(Pane):
            pane.show_session(session)

    def _tick_status(self) -> None:
        self._show_status(self.engine.store.session)

    def _show_status(self, session: Session) -> None:
        """The status bar lives on the main screen; a timer may still fire while the app shuts down and it is gone."""
        if self.screen_stack:
            for bar in self.screen_stack[0].query(StatusBar):
                bar.show(session, clock.now())

    def on_session_changed(self, message: SessionChanged) -> None:
        self._show_status(message.session)
        for pane in self.query(Pane):
            if pane.session_parts & message.parts:
                pane.show_session(message.session)

    def on_engine_event(self, message: EngineEvent) -> None:
        event: Event = message.event
        if isinstance(event, ErrorEvent):
            self.say(f"{event.message} {event.hint}".strip(), "error")
        elif isinstance(event, Notice):
            self.say(event.message, event.level)
        for pane in self.query(Pane):
            pane.on_engine_event(event)

    def say(self, message: str, level: str = "info") -> None:
        """The message line lives on the main screen; it keeps the last message while a dialog is open."""
        if self.screen_stack:
            for line in self.screen_stack[0].query(MessageLine):
                line.say(message, level)

    # --- navigation ----------------------------------------------------------------------------------------------

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#pane-{name}", Pane)

    def focus_pane(self, name: str) -> None:
        pane = self.pane(name)
        focusable = [w for w in pane.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()
        elif pane.can_focus:
            pane.focus()

    def action_pane(self, name: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{name}"

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        name = (event.pane.id or "").removeprefix("tab-")
        if name in PANES:
            self.active_pane = name
            self.focus_pane(name)
            self.engine.remember_ui(pane=name)

    def action_runs(self) -> None:
        from scaletui.tui.screens.runs import RunsScreen

        self.push_screen(RunsScreen(self.engine))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.engine.config.keymap))

    def action_command_line(self) -> None:
        self.push_screen(CommandLineScreen(), self.run_command_line)

    def run_command_line(self, line: str | None) -> None:
        if not line:
            return
        try:
            action, args = resolve(line)
        except ValueError as e:
            self.say(str(e), "error")
            return
        if action == "set_theme":
            self.action_set_theme(*args[:1])
        else:
            self.call_later(self.run_action, action)

    def action_set_theme(self, name: str = "") -> None:
        if name not in self.themes:
            self.say(f"unknown theme {name!r}; known: {', '.join(self.themes)}", "error")
            return
        self.theme = name
        self.engine.remember_ui(theme=name)
        self.say(f"theme {name}")

    def action_next_theme(self) -> None:
        names = list(self.themes)
        current = names.index(self.theme) if self.theme in names else -1
        self.action_set_theme(names[(current + 1) % len(names)])

    def run_palette_action(self, action: Action) -> None:
        if action.scope in ("app", "table"):
            target: Any = self if action.scope == "app" else self.pane(self.active_pane).query("FilterTable").first()
            self.call_later(target.run_action, action.action)
            return
        self.action_pane(action.scope)
        self.call_later(self.pane(action.scope).run_action, action.action)

    def on_unmount(self) -> None:
        self._unsubscribe()
        self._stop_session_watch()
