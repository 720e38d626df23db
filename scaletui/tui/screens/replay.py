"""Replay (`scaletui replay RUN_DIR`, or `R` then `v` on a run): a recorded run played back through the same panes.

Plots (with the strategy line, its decisions and reasons), Pods and Chaos show the run as it was at the replay's
position. Keys: space pauses, + and - change the speed (1x to 60x), ] and [ jump to the next or previous decision,
} and { to the next or previous fault, right and left move 10 s, g goes to a time, Esc goes back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from scaletui.config.units import format_duration, parse_duration
from scaletui.engine.replay import ReplayPlayer
from scaletui.events import DecisionEvent, Event, FaultEvent
from scaletui.tui.panes.base import Pane
from scaletui.tui.panes.chaos import ChaosPane
from scaletui.tui.panes.plots import PlotsPane
from scaletui.tui.panes.pods import PodsPane
from scaletui.tui.screens.form import FormField, FormScreen

if TYPE_CHECKING:
    from scaletui.engine import Engine

TICK_S = 0.25
REPLAY_PANES: tuple[tuple[str, type[Pane]], ...] = (("plots", PlotsPane), ("pods", PodsPane), ("chaos", ChaosPane))


class ReplayScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "toggle_pause", "Pause", priority=True),
        Binding("plus", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("right_square_bracket", "next_decision", "Next decision"),
        Binding("left_square_bracket", "previous_decision", "Prev decision", show=False),
        Binding("right_curly_bracket", "next_fault", "Next fault"),
        Binding("left_curly_bracket", "previous_fault", "Prev fault", show=False),
        Binding("right", "step(10)", "+10s", show=False, priority=True),
        Binding("left", "step(-10)", "-10s", show=False, priority=True),
        Binding("g", "go_to", "Go to"),
        Binding("1", "tab('plots')", "Plots", show=False),
        Binding("2", "tab('pods')", "Pods", show=False),
        Binding("3", "tab('chaos')", "Chaos", show=False),
    ]
    DEFAULT_CSS = """
    ReplayScreen #replay-bar { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, engine: Engine, player: ReplayPlayer) -> None:
        super().__init__()
        self.engine = engine
        self.player = player
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
        yield Footer()

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
        p = self.player
        state = "paused" if p.paused else f"x{p.speed:g}"
        decisions = len(p.series.decisions)
        text = (
            f"replay {p.run_dir.name} │ {format_duration(p.elapsed)} / {format_duration(p.duration)} │ {state}"
            f" │ {decisions} decision{'s' if decisions != 1 else ''} so far"
        )
        if self.is_attached:
            self.query_one("#replay-bar", Static).update(text)

    # --- keys ------------------------------------------------------------------------------------------------------

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.shown_panes = frozenset({(event.pane.id or "").removeprefix("replay-")})

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = f"replay-{name}"

    def action_back(self) -> None:
        self.dismiss(None)

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

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            try:
                seconds = parse_duration(values["at"])
            except ValueError as e:
                self.notify(f"time: expected {e}.", severity="error")
                return
            self.player.seek_elapsed(seconds)
            self._refresh()

        self.app.push_screen(FormScreen("Go to a time of the run", fields, '90, "1m30s", "10m"'), done)


def open_replay(engine: Engine, run_dir: Path | str) -> ReplayScreen:
    """The screen for a run directory; raises ConfigError (one sentence) when it holds nothing to replay."""
    return ReplayScreen(engine, ReplayPlayer(run_dir))
