"""The Textual app: the status line, the tab bar, the panes (tabs, or the dashboard when wide), messages, footer.

The first frame is painted from a light read of the settings and the session's `ui` table; the engine opens right
after it in a worker (its models, the session store and fault recovery cost more than the frame itself). The app
renders engine state and sends intents; engine events arrive through the bus as messages, session changes as
snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs
from textual.worker import Worker, WorkerState

from scaletui.errors import UserError
from scaletui.tui import clock, dispatch
from scaletui.tui.actions import LIVE_ONLY, PANE_TITLES, PANES, Action, bindings
from scaletui.tui.availability import STILL_OPENING, live_work
from scaletui.tui.boot import Boot
from scaletui.tui.layout import DECK_ORDER, PaneDeck, wants_dashboard
from scaletui.tui.messages import EngineEvent, SessionChanged
from scaletui.tui.opening import opening_error
from scaletui.tui.palette import ActionsProvider, OwnThemesApp
from scaletui.tui.panes.base import Pane, still_opening
from scaletui.tui.panes.chaos import ChaosPane
from scaletui.tui.panes.plots import PlotsPane
from scaletui.tui.panes.pods import PodsPane
from scaletui.tui.panes.reservations import ReservationsPane
from scaletui.tui.panes.stages import StagesPane
from scaletui.tui.screens.replay import in_replay
from scaletui.tui.theming import NO_COLOR_VARIABLES, Palette, load_themes, semantic_defaults, theme_dirs
from scaletui.tui.widgets.status import TRANSCRIPT_TEXT_COLUMN, MessageLine, StatusBar, Work

if TYPE_CHECKING:
    from textual.events import Key

    from scaletui.engine import Engine
    from scaletui.events import Event
    from scaletui.session.model import Session
    from scaletui.tui.opening import EngineOpening

PANE_CLASSES: dict[str, type[Pane]] = {
    "reservations": ReservationsPane,
    "stages": StagesPane,
    "pods": PodsPane,
    "plots": PlotsPane,
    "chaos": ChaosPane,
}


class ScaletuiApp(OwnThemesApp):
    CSS_PATH = str(Path(__file__).parent / "app.tcss")
    TITLE = "scaletui"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider}

    def __init__(self, engine: Engine | None = None, boot: Boot | None = None, replay: Path | None = None) -> None:
        """With an engine (tests, embedding) it is used at once; without, it is opened after the first frame.
        `replay`: open on the replay of this run directory, and quit when it is left."""
        import os

        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self._engine = engine
        self.replay = replay
        self.boot = boot or (Boot.of_engine(engine) if engine is not None else Boot.read())
        self.themes, self.theme_problems = load_themes(theme_dirs(self.boot.themes_dir))
        self.active_pane = self.boot.pane if self.boot.pane in PANES else PANES[0]
        self.layout_mode = self.boot.layout
        self.shown_panes: frozenset[str] = frozenset()
        self.open_error: UserError | None = None
        """Why the engine could not open (a bad settings file); the launcher reports it after the app exits."""
        self.opening: EngineOpening | None = None  # what the launcher closes if the app ends before it opened
        self._palette: Palette | None = None
        self._unsaved_ui: dict[str, str] = {}
        self._detach: list[Callable[[], None]] = []

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the session is still opening")
        return self._engine

    @property
    def engine_ready(self) -> bool:
        return self._engine is not None

    def compose(self) -> ComposeResult:
        yield StatusBar(self.boot.session, id="status")
        tabs = [Tab(f"{PANES.index(n) + 1} {PANE_TITLES[n]}", id=f"tab-{n}") for n in PANES]
        yield Tabs(*tabs, active=f"tab-{self.active_pane}", id="tabs")
        with PaneDeck(id="deck"):
            for name in DECK_ORDER:
                yield PANE_CLASSES[name]()
        yield MessageLine(id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for theme in self.themes.values():
            self.register_theme(theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.theme = self.initial_theme()
        self.set_class(self.no_color, "-no-color")
        if self.boot.keymap:
            self.set_keymap(self.boot.keymap)
        self._place_panes()
        self.pane(self.active_pane).take_focus()
        self.say(f"Session {self.boot.session}: opening...")
        for problem in self.theme_problems:
            self.notify(problem, severity="warning", timeout=15)
        if self._engine is not None:
            self.engine_opened(self._engine)

    def on_ready(self) -> None:
        """The first frame is on screen: now open the engine, unless one was given."""
        if self._engine is None:
            from scaletui.tui.opening import EngineOpening

            self.opening = EngineOpening(self._open_engine)
            self.run_worker(self.opening.wait, name="opening the session", group="engine", exit_on_error=False)

    def _open_engine(self) -> Engine:
        from scaletui.tui.opening import open_engine

        return open_engine(self.boot)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler of worker outcomes: the panes' intent workers bubble up to here."""
        if event.worker.group == "history" and event.state == WorkerState.SUCCESS and event.worker.result:
            self.pane("plots").redraw()  # type: ignore[attr-defined]
        if event.worker.group not in ("engine", "history"):
            dispatch.report_worker(self, event.worker, event.state)
            return
        if event.worker.group != "engine":
            return
        if event.state == WorkerState.SUCCESS:
            self.engine_opened(event.worker.result)  # type: ignore[arg-type]
        elif event.state == WorkerState.ERROR:
            self.open_error = opening_error(event.worker.error)
            self.exit(return_code=self.open_error.exit_code)

    def engine_opened(self, engine: Engine) -> None:
        self._engine = engine
        self._detach = [
            engine.bus.subscribe(lambda event: self.post_message(EngineEvent(event))),
            engine.store.on_change(lambda session, parts: self.post_message(SessionChanged(session, parts))),
        ]
        for pane in self.panes():
            pane.engine_ready()
        for field, value in self._unsaved_ui.items():
            self.remember(field, value)
        self.refresh_session()
        self.set_interval(1.0, self._tick_status)
        self.refresh_bindings()
        self.say(f"Session {engine.name}. Press ? for every key, : for commands, ctrl+q to quit.")
        for line in engine.startup_messages:
            self.say(line, "warning")
            self.notify(line, severity="warning", timeout=15)
        self.run_worker(
            engine.restore_history, thread=True, name="restoring the plots", group="history", exit_on_error=False
        )
        if self.replay is not None:
            from scaletui.tui.screens.replay import open_replay

            self.push_screen(open_replay(engine, self.replay, self.boot.keymap), lambda _: self.exit(0))

    # --- themes ----------------------------------------------------------------------------------------------------

    def initial_theme(self) -> str:
        if self.no_color and "ansi16" in self.themes:
            return "ansi16"
        for name in (self.boot.session_theme, self.boot.preferred_theme, "dark"):
            if name in self.themes:
                return name
        return next(iter(self.themes), "textual-dark")

    def get_css_variables(self) -> dict[str, str]:
        """Textual's variables plus the semantic colours (derived when a theme lacks them); with NO_COLOR, the
        cursor and focus shown by text style, since every colour is removed."""
        variables = super().get_css_variables()
        variables = {**semantic_defaults(self.current_theme), **variables}
        if self.no_color:
            variables.update(NO_COLOR_VARIABLES)
        self.theme_variables = variables
        return variables

    @property
    def palette(self) -> Palette:
        """The active theme's semantic colours for Rich cells and plots."""
        if self._palette is None:
            self._palette = Palette.of(self.theme_variables or self.get_css_variables(), self.no_color)
        return self._palette

    def _theme_changed(self, _theme: object) -> None:
        self._palette = None
        if self.engine_ready:
            self.refresh_session()

    def action_set_theme(self, name: str = "") -> None:
        if name not in self.themes:
            self.say(f"Unknown theme {name!r}; known: {', '.join(self.themes)} (files in themes/).", "error")
            return
        self.theme = name
        self.remember("theme", name)
        self.say(f"Theme {name}.")

    def action_next_theme(self) -> None:
        names = list(self.themes)
        current = names.index(self.theme) if self.theme in names else -1
        self.action_set_theme(names[(current + 1) % len(names)])

    # --- state in ------------------------------------------------------------------------------------------------

    def main_screen(self) -> Screen[Any]:
        return self.screen_stack[0]

    def panes(self) -> list[Pane]:
        return list(self.main_screen().query(Pane)) if self.screen_stack else []

    def refresh_session(self) -> None:
        session = self.engine.store.session
        self._show_status(session)
        for pane in self.panes():
            pane.show_session(session)

    def _tick_status(self) -> None:
        if self._engine is not None:
            self._show_status(self._engine.store.session)

    def _show_status(self, session: Session) -> None:
        """The status bar lives on the main screen; a timer may still fire while the app shuts down and it is gone."""
        if self.screen_stack:
            now = clock.now()
            work = [w for pane in self.panes() for w in pane.running_work(now)]
            work += Work.of_autoscaler(self._engine.live.strategy_status() if self._engine is not None else None)
            for bar in self.main_screen().query(StatusBar):
                bar.show(session, now, self.palette, work, self._engine)

    def on_session_changed(self, message: SessionChanged) -> None:
        self._show_status(message.session)
        for pane in self.panes():
            if pane.session_parts & message.parts:
                pane.show_session(message.session)

    def on_engine_event(self, message: EngineEvent) -> None:
        from scaletui.events import ClusterChanged, ErrorEvent, Notice

        event: Event = message.event
        if isinstance(event, ErrorEvent):
            self.say(f"{event.message} {event.hint}".strip(), "error")
        elif isinstance(event, Notice):
            self.say(event.message, event.level)
        elif isinstance(event, ClusterChanged) and self.screen_stack:
            for bar in self.main_screen().query(StatusBar):
                bar.instances = event.instances
            self._show_status(self.engine.store.session)
        for pane in self.panes():
            pane.on_engine_event(event)

    def say(self, message: str, level: str = "info", command: str = "") -> None:
        """On every screen's message line: the main one's (M lists its history) and those of screens opening `:`."""
        for screen in self.screen_stack:
            for line in screen.query(MessageLine):
                line.say(message, level, command)

    def remember(self, field: str, value: str) -> None:
        """The one place the TUI changes the session (ui.pane, ui.theme, ui.layout); kept until the engine opens.
        The engine records it and writes the file later, off this thread."""
        if self._engine is None:
            self._unsaved_ui[field] = value
        else:
            self._engine.remember_ui(**{field: value})

    # --- navigation ----------------------------------------------------------------------------------------------

    def pane(self, name: str) -> Pane:
        return self.main_screen().query_one(f"#pane-{name}", Pane)

    def on_key(self, event: Key) -> None:
        """A pane's key pressed before the session is open says so, here where keys arrive after their bindings ran."""
        if not self.engine_ready and (said := still_opening(self.screen, event.key)):
            self.say(said)

    def _place_panes(self) -> None:
        dashboard = wants_dashboard(self.layout_mode, self.size.width, self.size.height)
        self.shown_panes = self.main_screen().query_one(PaneDeck).place(self.active_pane, dashboard)

    def on_pane_deck_resized(self) -> None:
        """The terminal was resized (the deck follows it): `auto` may switch between tabs and the dashboard. A resize
        can still arrive while the app exits, after its screens are gone."""
        if self.screen_stack:
            self._place_panes()

    def show_pane(self, name: str, focus: bool = True) -> None:
        self.active_pane = name
        tabs = self.main_screen().query_one(Tabs)
        if tabs.active != f"tab-{name}":
            tabs.active = f"tab-{name}"
        self._place_panes()
        focused = self.focused
        if focus and (focused is None or self.pane(name) not in focused.ancestors_with_self):
            self.pane(name).take_focus()
        self.remember("pane", name)

    def action_pane(self, name: str) -> None:
        self.back_to_main()
        self.show_pane(name)

    def back_to_main(self) -> None:
        """Pane keys, `:` verbs and the palette work from the run history and the text views: they close them."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """A tab clicked; not the echo of `1` when `3` came since (`1 3` typed together flipped back to pane 1)."""
        name = (event.tab.id or "").removeprefix("tab-")
        if name in PANES and name != self.active_pane and event.tabs.active == event.tab.id:
            self.show_pane(name)

    def pane_focused(self, name: str) -> None:
        """Focus moved into a pane (Tab, a click): its keys are in the footer now; the tab bar follows."""
        if name != self.active_pane and name in self.shown_panes:
            self.show_pane(name, focus=False)

    def action_toggle_layout(self) -> None:
        dashboard = not wants_dashboard(self.layout_mode, self.size.width, self.size.height)
        self.set_layout("dashboard" if dashboard else "tabs")

    def set_layout(self, mode: str) -> None:
        self.layout_mode = mode
        self._place_panes()
        self.remember("layout", mode)
        more = " (it needs 140x40 to be comfortable)" if mode == "dashboard" and self.size.width < 140 else ""
        self.say(f"Layout {mode}{more}. L switches between dashboard and tabs; :layout auto follows the size.")

    def action_runs(self) -> None:
        from scaletui.tui.screens.runs import RunsScreen

        if not self.engine_ready:
            self.say(f"{STILL_OPENING}: press R again in a moment.")
        elif not isinstance(self.screen, RunsScreen):
            self.back_to_main()
            self.push_screen(RunsScreen(self.engine, self.boot.keymap))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A replay is read-only: while one is open, app keys that would leave it for the live session do nothing."""
        return action not in LIVE_ONLY["app"] or not in_replay(self.screen_stack)

    def action_messages(self) -> None:
        from scaletui.tui.screens.text import TextScreen

        line = self.main_screen().query_one(MessageLine)
        messages = TextScreen("Messages, oldest first", line.transcript, end=True, hanging=TRANSCRIPT_TEXT_COLUMN)
        self.push_screen(messages)

    def action_help(self, section: str = "") -> None:
        from scaletui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.boot.keymap, replay=in_replay(self.screen_stack), section=section))

    def action_command_line(self, text: str = "") -> None:
        from scaletui.tui.completion import names_of
        from scaletui.tui.screens.command_line import CommandLineScreen

        self.push_screen(CommandLineScreen(text, lambda: names_of(self)), self.run_command_line)

    def run_command_line(self, line: str | None) -> None:
        dispatch.run_command_line(self, line)

    def run_palette_action(self, action: Action) -> None:
        dispatch.run_palette_action(self, action)

    def action_cancel_work(self) -> None:
        """ctrl+g: the focused pane's running work (a cluster starting, a stage) gets its cancel event."""
        cancelled = self.pane(self.active_pane).cancel_work()
        what = ", ".join(cancelled) if cancelled else "nothing: no work of this pane is running"
        self.say(f"Cancelling {what}.")

    async def action_quit(self) -> None:
        """Quitting stops a cluster started by hand and cancels a running experiment: ask first."""
        live = live_work(self._engine)
        if not live:
            self.exit(0)
            return
        from scaletui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        self.push_screen(ConfirmScreen(f"Quit? {live}", "y quits, n or Esc stays."), done)

    def on_unmount(self) -> None:
        for detach in self._detach:
            detach()
