"""Chaos: active faults with time left, and the node-to-node latency matrix as a heat table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.events import Event, FaultEvent, LatencyEvent
from scaletui.session.model import FaultRecord, Session
from scaletui.tui.intents import inline_table
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row

KINDS = ("delay", "loss", "bandwidth", "kill", "pause", "cpu-stress")
DEFAULT_PARAMS = {
    "delay": "latency_ms = 50, jitter_ms = 5",
    "loss": "percent = 10",
    "bandwidth": 'rate = "10mbit"',
    "kill": "",
    "pause": "",
    "cpu-stress": "workers = 1, load = 80",
}

EMPTY = "No active fault. Press f to fire one: delay, loss, bandwidth, kill, pause or cpu-stress."


def fault_row(f: FaultRecord, now: float) -> Row:
    left = max(0.0, f.expires_at - now)
    params = " ".join(f"{k}={v}" for k, v in f.params.items())
    return f.id, [f.id, f.kind, ", ".join(f.targets) or "-", params or "-", f.backend, f"{left:.0f}s"]


def heat_table(names: list[str], matrix: dict[tuple[str, str], float | None]) -> Table:
    """Latency in ms, coloured from green (low) to red (high); a missing pair is shown as '?'."""
    table = Table(box=None, padding=(0, 1), header_style="bold")
    table.add_column("ms")
    for n in names:
        table.add_column(n[-10:], justify="right")
    values = [v for v in matrix.values() if v is not None]
    hi = max(values) if values else 1.0
    for a in names:
        cells: list[Text] = []
        for b in names:
            v = matrix.get((a, b))
            if a == b:
                cells.append(Text("-", style="dim"))
            elif v is None:
                cells.append(Text("?", style="dim"))
            else:
                ratio = v / hi if hi else 0.0
                style = "red" if ratio > 0.66 else "yellow" if ratio > 0.33 else "green"
                cells.append(Text(f"{v:.1f}", style=style))
        table.add_row(a[-10:], *cells)
    return table


class ChaosPane(Pane):
    pane_id = "chaos"
    session_parts = frozenset({"faults"})
    DEFAULT_CSS = """
    ChaosPane FilterTable { height: 1fr; }
    ChaosPane #latency { height: auto; max-height: 12; padding: 0 1; border-top: solid $panel; }
    """

    def __init__(self, engine, view=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, view)
        self.faults: list[FaultRecord] = []
        self.latency: dict[tuple[str, str], float | None] = {}

    def compose(self) -> ComposeResult:
        yield FilterTable(["Id", "Kind", "Targets", "Params", "Backend", "Left"], EMPTY)
        yield Static("Latency matrix: no probes yet (they start with the cluster).", id="latency")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.is_active and self.faults:
            self._draw()

    def _draw(self) -> None:
        now = self.view.now()
        self.query_one(FilterTable).set_rows(fault_row(f, now) for f in self.faults)

    def show_session(self, session: Session) -> None:
        self.faults = list(session.faults)
        self._draw()

    def show_latency(self, names: list[str], matrix: dict[tuple[str, str], float | None]) -> None:
        self.latency = matrix
        self.query_one("#latency", Static).update(heat_table(names, matrix))

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, FaultEvent) and event.action in ("failed", "cleaned"):
            self.scaletui.say(event.message or f"fault {event.fault_id} {event.action}", "warning")
        elif isinstance(event, LatencyEvent) and event.matrix.nodes:
            m = event.matrix
            names = list(m.nodes)
            self.show_latency(names, {(a, b): m.get(a, b) for a in names for b in names if a != b})

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_fire(self) -> None:
        fields = [
            FormField("kind", "Fault", "delay", KINDS),
            FormField("targets", "Targets", "role:taskmanager", placeholder="taskmanager-1, role:taskmanager, pid:123"),
            FormField("duration", "Duration", "60s"),
            FormField("params", "Parameters", DEFAULT_PARAMS["delay"], placeholder="latency_ms = 50, jitter_ms = 5"),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return

            def call() -> str:
                try:
                    duration = parse_duration(values["duration"])
                except ValueError as e:
                    raise ConfigError(f"duration: expected {e}.") from None
                targets = [t.strip() for t in values["targets"].split(",") if t.strip()]
                params = inline_table(values["params"], "fault parameters")
                return self.engine.live.fire_fault(values["kind"], targets, duration, params)

            self.run_intent("firing the fault", call, group="chaos")

        hint = "delay: latency_ms, jitter_ms | loss: percent | bandwidth: rate | cpu-stress: workers, load"
        self.app.push_screen(
            FormScreen("Fire a fault (reverted at expiry, on quit, or after a crash)", fields, hint), done
        )

    def action_revert(self) -> None:
        fault_id = self.query_one(FilterTable).selected_key()
        if fault_id is None:
            self.scaletui.say("No fault selected.")
            return
        self.run_intent("reverting the fault", lambda: self._revert(fault_id), group="chaos")

    def _revert(self, fault_id: str) -> str:
        """Through the run when one is active (so the session's timeline has it), else straight to the ledger (a
        fault left from before, with no run to go through)."""
        if self.engine.live.run is not None:
            return self.engine.live.revert_fault(fault_id)
        return self.engine.faults.revert_all() if fault_id == "all" else self.engine.faults.revert(fault_id)

    def action_revert_all(self) -> None:
        self.run_intent("reverting every fault", lambda: self._revert("all"), group="chaos")
