"""Replay (`scaletui replay RUN_DIR`, or `R` then `v` on a run): a recorded run played back through the same panes.

Plots (with the strategy line, its decisions and reasons), Pods and Chaos show the run as it was at the replay's
position. Keys: space pauses, + and - change the speed (1x to 60x), ] and [ jump to the next or previous decision,
} and { to the next or previous fault, right and left move 10 s, g goes to a time, Esc goes back.

A replay is read-only: the panes hide their live intents here, and the app's keys that would leave it for the live
session (4, 5, R, :, ...) are refused by the app while a replay is open (`ScaletuiApp.check_action`); this screen
answers them in one sentence, under the keys the user's keymap gives them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from scaletui.config.units import format_duration, parse_duration
from scaletui.errors import ConfigError
from scaletui.events import DecisionEvent, Event, FaultEvent
from scaletui.tui.actions import bindings, replay_refused_keys
from scaletui.tui.panes.base import Pane
from scaletui.tui.panes.chaos import ChaosPane
from scaletui.tui.panes.plots import PlotsPane
from scaletui.tui.panes.pods import PodsPane
from scaletui.tui.screens.form import FormField, FormScreen

if TYPE_CHECKING:
    from scaletui.engine import Engine
    from scaletui.engine.replay import ReplayPlayer

TICK_S = 0.25
NOT_HERE = "Not in a replay: that key acts on the live session. 1-3 switch tabs, Esc leaves, ? lists keys."
REPLAY_PANES: tuple[tuple[str, type[Pane]], ...] = (("plots", PlotsPane), ("pods", PodsPane), ("chaos", ChaosPane))


class ReplayScreen(Screen[None]):
    BINDINGS = bindings("replay")
    DEFAULT_CSS = """
    ReplayScreen { overflow: hidden; }
    ReplayScreen #replay-bar { height: 1; padding: 0 1; background: $panel; }
    ReplayScreen TabbedContent, ReplayScreen ContentSwitcher, ReplayScreen TabPane { height: 1fr; }
    """

    TYPING_KEYS = frozenset({"toggle_pause", "step"})
    """Priority keys that a text field being typed into keeps: the arrows move the `/` filter's cursor, not the
    replay (Textual already leaves it the printable ones, space included)."""

    def __init__(self, engine: Engine, player: ReplayPlayer, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.engine = engine
        self.player = player
        self._bindings.bind(replay_refused_keys(keymap), "live_only", "Live only", show=False)
        self.shown_panes: frozenset[str] = frozenset({"plots"})
        """The panes on screen here (the panes skip redraws otherwise)."""
        self._shown_version = -1
        self._last = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Static("", id="replay-bar")
        with TabbedContent(initial="replay-plots"):
            for n, (name, cls) in enumerate(REPLAY_PANES, start=1):
                with TabPane(f"{n} {name.title()}", id=f"replay-{name}"):
                    yield cls(self.player)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        for pane in self.query(Pane):
            pane.engine_ready()
        self._unsubscribe = self.player.bus.subscribe(self._dispatch)
        self.player.seek(self.player.start)
        self._refresh()
        self.set_interval(TICK_S, self._tick)

    def on_unmount(self) -> None:
        self._unsubscribe()

    def _dispatch(self, event: Event) -> None:
        """Replay events reach this screen's panes as engine events reach the main screen's."""
        for pane in self.query(Pane):
            pane.on_engine_event(event)

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last = now - self._last, now
        if self.player.advance(dt):
            self._refresh()
        else:
            self._bar()

    def _refresh(self) -> None:
        """After a jump, every pane shows the new position at once (the plots too, not at their next tick)."""
        session = self.player.session()
        for pane in self.query(Pane):
            pane.show_session(session)
        for plots in self.query(PlotsPane):
            if plots.is_active:
                plots.redraw()
        self._bar()

    def _bar(self) -> None:
        """Position, speed and decisions so far on one line: a long run name is shortened, never the position."""
        p = self.player
        state = "paused" if p.paused else f"x{p.speed:g}"
        decisions = len(p.series.decisions)
        tail = (
            f" │ {format_duration(p.elapsed)} / {format_duration(p.duration)} │ {state}"
            f" │ {decisions} decision{'s' if decisions != 1 else ''}"
        )
        name, room = p.run_dir.name, max(8, self.size.width - 2 - len("replay ") - len(tail))
        if len(name) > room:
            name = name[: room - 1] + "…"
        if self.is_attached:
            self.query_one("#replay-bar", Static).update(f"replay {name}{tail}")

    # --- keys ------------------------------------------------------------------------------------------------------

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.shown_panes = frozenset({(event.pane.id or "").removeprefix("replay-")})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in self.TYPING_KEYS or not isinstance(self.focused, Input)

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = f"replay-{name}"

    def action_back(self) -> None:
        self.dismiss(None)

    def action_live_only(self) -> None:
        self.notify(NOT_HERE)

    def action_toggle_pause(self) -> None:
        self.player.toggle_pause()
        self._bar()

    def action_faster(self) -> None:
        self.player.faster()
        self._bar()

    def action_slower(self) -> None:
        self.player.slower()
        self._bar()

    def _jump(self, at: float | None, what: str) -> None:
        if at is None:
            self.notify(f"No {what}.", timeout=3)
            return
        self.player.seek(at)
        self._refresh()

    def action_next_decision(self) -> None:
        self._jump(self.player.next_of(DecisionEvent), "decision after this point")

    def action_previous_decision(self) -> None:
        self._jump(self.player.previous_of(DecisionEvent), "decision before this point")

    def action_next_fault(self) -> None:
        self._jump(self.player.next_of(FaultEvent), "fault after this point")

    def action_previous_fault(self) -> None:
        self._jump(self.player.previous_of(FaultEvent), "fault before this point")

    def action_step(self, seconds: float) -> None:
        self.player.seek(self.player.position + seconds)
        self._refresh()

    def action_go_to(self) -> None:
        fields = [FormField("at", "Time from the start", format_duration(self.player.elapsed))]

        def check(values: dict[str, str]) -> None:
            try:
                parse_duration(values["at"])
            except ValueError as e:
                raise ConfigError(f"time: expected {e}.") from None

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.player.seek_elapsed(parse_duration(values["at"]))
                self._refresh()

        self.app.push_screen(FormScreen("Go to a time of the run", fields, '90, "1m30s", "10m"', check=check), done)


def in_replay(screens: Iterable[Screen[Any]]) -> bool:
    """Whether a replay is open in this screen stack, on top or under a dialog it opened."""
    return any(isinstance(screen, ReplayScreen) for screen in screens)


def open_replay(engine: Engine, run_dir: Path | str, keymap: Mapping[str, str]) -> ReplayScreen:
    """The screen for a run directory; raises ConfigError (one sentence) when it holds nothing to replay. The player
    loads here, not with this module, which the app imports for its first frame."""
    from scaletui.engine.replay import ReplayPlayer

    return ReplayScreen(engine, ReplayPlayer(run_dir), keymap)
