"""Chaos: active faults with time left, and the node-to-node latency matrix as a heat table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.events import Event, FaultEvent
from scaletui.session.model import FaultRecord, Session
from scaletui.tui import clock
from scaletui.tui.panes.base import Pane
from scaletui.tui.widgets.filter_table import FilterTable, Row

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
    DEFAULT_CSS = """
    ChaosPane FilterTable { height: 1fr; }
    ChaosPane #latency { height: auto; max-height: 12; padding: 0 1; border-top: solid $panel; }
    """

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine)
        self.faults: list[FaultRecord] = []

    def compose(self) -> ComposeResult:
        yield FilterTable(["Id", "Kind", "Targets", "Params", "Backend", "Left"], EMPTY)
        yield Static("Latency matrix: no probes yet (they start with the cluster).", id="latency")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.is_active and self.faults:
            self._draw()

    def _draw(self) -> None:
        now = clock.now()
        self.query_one(FilterTable).set_rows(fault_row(f, now) for f in self.faults)

    def show_session(self, session: Session) -> None:
        self.faults = list(session.faults)
        self._draw()

    def show_latency(self, names: list[str], matrix: dict[tuple[str, str], float | None]) -> None:
        self.query_one("#latency", Static).update(heat_table(names, matrix))

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, FaultEvent) and event.action in ("failed", "cleaned"):
            self.scaletui.say(event.message or f"fault {event.fault_id} {event.action}", "warning")
