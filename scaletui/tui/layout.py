"""Where the panes go: one at a time under the tab bar, or the dashboard on a wide terminal.

The dashboard keeps Pods and Chaos side by side at the bottom, each with its border and title, each focusable, and
puts across the top Plots or, while one is chosen, Reservations or Stages: the cluster and its faults stay in view
while the top changes. The same pane widgets serve both layouts: switching only changes CSS classes, so no pane
loses its state.
"""

from __future__ import annotations

from textual import events
from textual.containers import Container
from textual.message import Message

from scaletui.tui.panes.base import Pane

BOTTOM = ("pods", "chaos")
"""Always in the dashboard; the top row shows one of the other panes."""
DASHBOARD_MIN = (140, 40)
"""Columns and rows from which `auto` shows the dashboard."""
DECK_ORDER = ("reservations", "stages", "plots", "pods", "chaos")
"""DOM order: the grid fills in this order (the top pane first, spanning both columns), and Tab moves focus in it."""


def wants_dashboard(layout: str, width: int, height: int) -> bool:
    if layout in ("tabs", "dashboard"):
        return layout == "dashboard"
    return width >= DASHBOARD_MIN[0] and height >= DASHBOARD_MIN[1]


class PaneDeck(Container):
    DEFAULT_CSS = """
    PaneDeck { height: 1fr; }
    PaneDeck > Pane { display: none; height: 1fr; }
    PaneDeck > Pane.-shown { display: block; }
    PaneDeck.-dashboard { layout: grid; grid-size: 2 2; grid-rows: 3fr 2fr; grid-columns: 4fr 3fr; }
    PaneDeck.-dashboard > Pane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    PaneDeck.-dashboard > Pane:focus-within { border: round $primary; border-title-color: $text;
        border-title-style: bold; }
    PaneDeck.-dashboard > .-top { column-span: 2; }
    """

    class Resized(Message):
        """The deck changed size with the terminal: the app decides again between tabs and the dashboard."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.top = "plots"

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized())

    def place(self, active: str, dashboard: bool) -> frozenset[str]:
        """Show `active`, with the rest of the dashboard when it is on; returns the panes shown."""
        if not dashboard:
            shown = frozenset((active,))
        else:
            if active not in BOTTOM:
                self.top = active
            shown = frozenset((self.top, *BOTTOM))
        self.set_class(dashboard, "-dashboard")
        for pane in self.query_children(Pane):
            pane.set_class(pane.pane_id in shown, "-shown")
            pane.set_class(dashboard and pane.pane_id == self.top, "-top")
        return shown
