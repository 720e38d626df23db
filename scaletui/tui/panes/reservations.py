"""Reservations: every platform of the session with its nodes per role, job id, state and walltime left."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult

from scaletui.config.units import format_duration
from scaletui.session.model import Reservation, Session
from scaletui.tui import clock
from scaletui.tui.panes.base import Pane
from scaletui.tui.widgets.filter_table import FilterTable, Row

WARN_BEFORE_S = 15 * 60
STATE_STYLE = {"running": "green", "reserving": "yellow", "waiting": "yellow", "failed": "bold red"}
EMPTY = "No reservation yet. Press n to reserve a platform from conf/platforms/ (local needs no account)."


def walltime_left(r: Reservation, now: float) -> Text:
    if not r.walltime_s or not r.started_at or r.state != "running":
        return Text("-")
    left = r.started_at + r.walltime_s - now
    style = "bold red" if left < WARN_BEFORE_S else ""
    return Text(format_duration(max(0.0, left)) + (" !" if left < WARN_BEFORE_S else ""), style=style)


def reservation_row(r: Reservation, now: float) -> Row:
    roles = Counter(n.role for n in r.nodes)
    nodes = " ".join(f"{role[:4]}:{count}" for role, count in sorted(roles.items())) or "-"
    where = "/".join(x for x in (r.site, r.cluster) if x) or "-"
    state = Text(r.state, style=STATE_STYLE.get(r.state, ""))
    return r.platform, [r.platform, r.type, where, nodes, r.job_id or "-", state, walltime_left(r, now)]


class ReservationsPane(Pane):
    pane_id = "reservations"

    def compose(self) -> ComposeResult:
        yield FilterTable(["Platform", "Type", "Site/cluster", "Nodes", "Job", "State", "Left"], EMPTY)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.is_active and any(r.walltime_s for r in self.engine.store.session.reservations):
            self.show_session(self.engine.store.session)

    def show_session(self, session: Session) -> None:
        now = clock.now()
        self.query_one(FilterTable).set_rows(reservation_row(r, now) for r in session.reservations)
