"""Stages: infrastructure, orchestration, application and local playbooks; per-task events stream below."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from scaletui.config.units import format_duration
from scaletui.events import Event, StageStateChanged, StageTask
from scaletui.stages.catalog import APPS, STAGES
from scaletui.tui.panes.base import Pane
from scaletui.tui.widgets.filter_table import FilterTable, Row

if TYPE_CHECKING:
    from textual.widgets import ProgressBar, RichLog

    from scaletui.session.model import Session, StageRecord
    from scaletui.tui.theming import Palette

STATE = {"done": "ok", "running": "warn", "failed": "fail", "cancelled": "pending", "pending": "pending"}
"""A stage's state -> its semantic colour."""
TASK = {"ok": "ok", "changed": "warn", "failed": "fail", "unreachable": "fail", "skipped": "pending"}
"""An Ansible task's status -> its semantic colour."""


def stage_style(state: str, palette: Palette) -> str:
    return palette.style(STATE[state], "bold" if state == "failed" else "") if state in STATE else ""


def stage_row(name: str, rec: StageRecord, palette: Palette) -> Row:
    took = format_duration(rec.ended_at - rec.started_at) if rec.ended_at and rec.started_at else "-"
    ran = time.strftime("%H:%M:%S", time.localtime(rec.started_at)) if rec.started_at else "never"
    detail = rec.failed_task and f"{rec.failed_task}: {rec.message}" or rec.message
    return name, [name, Text(rec.state, style=stage_style(rec.state, palette)), ran, took, detail or "-"]


class StagesPane(Pane):
    pane_id = "stages"
    session_parts = frozenset({"stages", "apps"})
    DEFAULT_CSS = """
    StagesPane FilterTable { height: 9; }
    StagesPane ProgressBar { height: 1; padding: 0 1; display: none; }
    StagesPane ProgressBar.-running { display: block; }
    StagesPane RichLog, StagesPane #stage-log-empty { height: 1fr; border-top: solid $panel; }
    StagesPane #stage-log-empty { color: $text-muted; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield FilterTable(
            ["Stage", "State", "Last run", "Took", "Detail"],
            "No stage listed. Playbooks live in playbooks/<stage>/.",
        )
        yield Static("The tasks of a stage run stream here. Select a stage and press r.", id="stage-log-empty")

    def _log(self) -> RichLog:
        """The task log and its progress bar, mounted at the first stage run (RichLog's imports cost the first
        frame ~0.05 s, for a log most sessions never fill)."""
        from textual.widgets import ProgressBar, RichLog

        logs = self.query(RichLog)
        if logs:
            return logs.first(RichLog)
        self.query_one("#stage-log-empty").remove()
        self.mount(ProgressBar(total=None, show_eta=False, id="stage-progress"))
        log = RichLog(max_lines=2000, markup=False, wrap=False, id="stage-log")
        self.mount(log)
        return log

    def _progress(self) -> ProgressBar:
        self._log()
        return self.query_one("#stage-progress")  # type: ignore[return-value]

    def show_session(self, session: Session) -> None:
        from scaletui.session.model import StageRecord

        apps = [f"app:{a}" for a in APPS]
        names = list(STAGES) + apps + sorted(set(session.stages) - set(STAGES) - set(apps))
        rows = [stage_row(n, session.stages.get(n, StageRecord()), self.palette) for n in names]
        self.query_one(FilterTable).set_rows(rows)

    # --- intents ---------------------------------------------------------------------------------------------------

    def _selected(self) -> str | None:
        key = self.query_one(FilterTable).selected_key()
        if key is None:
            self.scaletui.say("No stage selected.")
        return key

    def _run(self, step: str) -> None:
        self._log().write(Text(f"== {step}: starting", style="bold"))
        self.run_intent(
            f"running {step}",
            lambda cancel: self.engine.testbed.run_checked(step, cancel),
            group=f"stage-{step}",
            cancellable=True,
        )

    def action_run_stage(self) -> None:
        if (key := self._selected()) is not None:
            self._run(key)

    def _app_action(self, action: str) -> None:
        key = self._selected()
        if key is None:
            return
        if not key.startswith("app:"):
            self.scaletui.say(f"{key} is a stage; delete and reload apply to applications (app:...).", "warning")
            return
        from scaletui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self._run(f"{key}:{action}")
            else:
                self.scaletui.say(f"{key} left as it is.")

        what = "deleted" if action == "delete" else "deleted and deployed again"
        question = f"{action.title()} {key}? Its pods are {what}, and the data they hold is lost."
        self.app.push_screen(ConfirmScreen(question, f"y: {action}, n or Esc: leave it."), done)

    def action_delete_app(self) -> None:
        self._app_action("delete")

    def action_reload_app(self) -> None:
        self._app_action("reload")

    def action_cancel_stage(self) -> None:
        self.scaletui.say(self.engine.testbed.cancel())

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, StageTask):
            if event.status == "started":
                return
            took = f" {event.duration_s:.1f}s" if event.duration_s is not None else ""
            failed = event.status in ("failed", "unreachable")
            line = Text.assemble(
                (f"{event.status:<11}", self.palette.style(TASK[event.status]) if event.status in TASK else ""),
                f"{event.stage} | {event.host} | {event.task}{took}",
                (f"  {event.message}" if event.message and failed else "", self.palette.style("fail")),
            )
            self._log().write(line)
            self._progress().update(total=event.tasks_total, progress=event.tasks_done)
        elif isinstance(event, StageStateChanged):
            self._progress().set_class(event.state == "running", "-running")
            self._log().write(
                Text(f"== {event.stage}: {event.state} {event.message}", style=stage_style(event.state, self.palette))
            )
