"""When an intent is possible now, from its `needs` in the actions table: the palette offers only what is, and a key
or `:` verb pressed when it is not gets the reason in one sentence instead of an error from deep down."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from scaletui.tui.actions import PANE_TITLES, Action

if TYPE_CHECKING:
    from textual.widget import Widget

    from scaletui.engine import Engine

STILL_OPENING = "The session is still opening"
"""What a key or verb that needs the engine says before it has opened, with what to do."""
CAPABILITY_WORDS = {"actuation": "rescaling", "job": "job control", "load": "load control", "faults": "fault injection"}


class AppState(Protocol):
    """What availability reads of the app (a Protocol, so this module does not import it)."""

    active_pane: str

    @property
    def engine_ready(self) -> bool: ...

    @property
    def engine(self) -> Engine: ...

    def pane(self, name: str) -> Widget: ...


def why_not(action: Action, app: AppState) -> str:
    """Empty when `action` can run now; else why not, and what to do."""
    if not app.engine_ready and action.scope not in ("app", "table"):
        return f"{STILL_OPENING}."
    needs = action.needs
    if not needs:
        return ""
    if needs == "table":
        if not app.pane(app.active_pane).query("FilterTable"):
            return f"The {PANE_TITLES[app.active_pane]} pane has no table."
        return ""
    if needs == "fault":
        return "" if app.engine.store.session.faults else "No fault is active."
    run = app.engine.live.run
    if run is None:
        return "No cluster is running: press s in the Pods pane (or :pods, then s) to start one."
    if needs == "strategy":
        return "" if run.strategy_status() is not None else "No autoscaler runs: choose one with a in the Plots pane."
    if needs in CAPABILITY_WORDS and not getattr(run.caps, needs):
        return f"The {run.caps.platform} platform has no {CAPABILITY_WORDS[needs]}."
    return ""


def live_work(engine: Engine | None) -> str:
    """What quitting would end, in words; empty when nothing is live (or the session is not open yet)."""
    if engine is None:
        return ""
    parts = []
    current = engine.experiments.current
    if engine.experiments.running and current is not None:
        parts.append(f"experiment {current.name} is running and will be cancelled")
    if engine.live.is_open:
        parts.append("the cluster started here will be stopped")
    faults = len(engine.store.session.faults)
    if faults:
        parts.append(f"{faults} active fault{'s are' if faults > 1 else ' is'} reverted")
    return "; ".join(parts).capitalize() + "." if parts else ""
