"""Reservations: every platform of the session with its nodes per role, job id, state and walltime left."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult

from scaletui.config.units import format_duration
from scaletui.tui import clock
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row

if TYPE_CHECKING:
    from scaletui.session.model import Reservation, Session
    from scaletui.tui.theming import Palette

WARN_BEFORE_S = 15 * 60
STATE = {"running": "ok", "reserving": "warn", "waiting": "pending", "failed": "fail", "released": "pending"}
"""A reservation's state -> its semantic colour."""
EMPTY = "No reservation yet. Press n to reserve a platform from conf/platforms/ (local needs no account)."


def walltime_left(r: Reservation, now: float, palette: Palette) -> Text:
    if not r.walltime_s or not r.started_at or r.state != "running":
        return Text("-")
    left = r.started_at + r.walltime_s - now
    style = palette.style("fail", "bold") if left < WARN_BEFORE_S else ""
    return Text(format_duration(max(0.0, left)) + (" !" if left < WARN_BEFORE_S else ""), style=style)


def reservation_row(r: Reservation, now: float, palette: Palette) -> Row:
    roles = Counter(n.role for n in r.nodes)
    nodes = " ".join(f"{role[:4]}:{count}" for role, count in sorted(roles.items())) or "-"
    where = "/".join(x for x in (r.site, r.cluster) if x) or "-"
    state = Text(r.state, style=palette.style(STATE[r.state]) if r.state in STATE else "")
    return r.platform, [r.platform, r.type, where, nodes, r.job_id or "-", state, walltime_left(r, now, palette)]


class ReservationsPane(Pane):
    pane_id = "reservations"
    session_parts = frozenset({"reservations"})

    def __init__(self) -> None:
        super().__init__()
        self.warned: set[str] = set()

    def compose(self) -> ComposeResult:
        yield FilterTable(["Platform", "Type", "Site/cluster", "Nodes", "Job", "State", "Left"], EMPTY)

    def engine_ready(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if not self.is_attached:  # the app is exiting
            return
        session = self.engine.store.session
        now = clock.now()
        for r in session.reservations:
            left = r.started_at + r.walltime_s - now if r.walltime_s and r.started_at else None
            if r.state == "running" and left is not None and left < WARN_BEFORE_S and r.platform not in self.warned:
                self.warned.add(r.platform)
                self.app.notify(
                    f"{r.platform}: walltime ends in {format_duration(max(0.0, left))}; results not synced are lost.",
                    severity="warning",
                    timeout=30,
                )
        if self.is_active and any(r.walltime_s for r in session.reservations):
            self.show_session(session)

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_reserve(self) -> None:
        names = tuple(self.engine.testbed.platforms())
        if not names:
            self.scaletui.say(f"No platform file in {self.engine.conf_dir / 'platforms'}.", "error")
            return
        fields = [FormField("platform", "Platform (conf/platforms/<name>.toml)", "local", names)]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                name = values["platform"]
                self.run_intent(
                    f"reserving {name} (ctrl+g cancels)",
                    lambda cancel: self.engine.testbed.reserve(name, cancel),
                    group=f"res-{name}",
                    cancellable=True,
                )

        self.app.push_screen(FormScreen("Reserve a platform", fields), done)

    def action_release(self) -> None:
        name = self.query_one(FilterTable).selected_key()
        if name is None:
            self.scaletui.say("No reservation selected.")
            return
        from scaletui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                # its own group: not queued behind a reservation of it that waits for hours, which the release cancels
                release = self.engine.testbed.release
                self.run_intent(f"releasing {name}", lambda: release(name), group=f"release-{name}")
            else:
                self.scaletui.say(f"{name} kept.")

        question = f"Release {name}? Its machines and anything on them are lost."
        self.app.push_screen(ConfirmScreen(question, "y releases, n or Esc keeps it."), done)

    def action_extend(self) -> None:
        name = self.query_one(FilterTable).selected_key()
        if name is None:
            self.scaletui.say("No reservation selected.")
            return
        fields = [FormField("by", f"Add to {name}'s walltime (1h, 30m, 01:30:00)", "1h")]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                by = values["by"]
                self.run_intent(f"extending {name}", lambda: self.engine.testbed.extend(name, by), group=f"res-{name}")

        self.app.push_screen(FormScreen("Extend the walltime", fields), done)

    def action_refresh(self) -> None:
        self.run_intent("refreshing reservations", self.engine.testbed.refresh, group="res-refresh")

    def show_session(self, session: Session) -> None:
        now = clock.now()
        self.query_one(FilterTable).set_rows(reservation_row(r, now, self.palette) for r in session.reservations)
