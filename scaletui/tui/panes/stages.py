"""Stages: infrastructure, orchestration, application and local playbooks; per-task events stream below."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import ProgressBar, RichLog

from scaletui.config.units import format_duration
from scaletui.events import Event, StageStateChanged, StageTask
from scaletui.session.model import Session, StageRecord
from scaletui.tui.panes.base import Pane
from scaletui.tui.widgets.filter_table import FilterTable, Row

STAGES = ("infrastructure", "orchestration", "application", "local")
APPS = ("flink", "minio", "kafka", "loadgen", "chaos_mesh", "consul", "metrics", "scaler")
STATE_STYLE = {"done": "green", "running": "yellow", "failed": "bold red", "cancelled": "magenta", "pending": "dim"}
TASK_STYLE = {"ok": "green", "changed": "yellow", "failed": "bold red", "unreachable": "bold red", "skipped": "dim"}


def stage_row(name: str, rec: StageRecord) -> Row:
    took = format_duration(rec.ended_at - rec.started_at) if rec.ended_at and rec.started_at else "-"
    ran = time.strftime("%H:%M:%S", time.localtime(rec.started_at)) if rec.started_at else "never"
    detail = rec.failed_task and f"{rec.failed_task}: {rec.message}" or rec.message
    state = "pending" if rec.state == "pending" and not rec.started_at else rec.state
    return name, [name, Text(state, style=STATE_STYLE.get(rec.state, "")), ran, took, detail or "-"]


class StagesPane(Pane):
    pane_id = "stages"
    session_parts = frozenset({"stages", "apps"})
    DEFAULT_CSS = """
    StagesPane FilterTable { height: 9; }
    StagesPane ProgressBar { height: 1; padding: 0 1; display: none; }
    StagesPane ProgressBar.-running { display: block; }
    StagesPane RichLog { height: 1fr; border-top: solid $panel; }
    """

    def compose(self) -> ComposeResult:
        yield FilterTable(
            ["Stage", "State", "Last run", "Took", "Detail"],
            "No stage listed. Playbooks live in playbooks/<stage>/.",
        )
        yield ProgressBar(total=None, show_eta=False, id="stage-progress")
        yield RichLog(max_lines=2000, markup=False, wrap=False, id="stage-log")

    def show_session(self, session: Session) -> None:
        apps = [f"app:{a}" for a in APPS]
        names = list(STAGES) + apps + sorted(set(session.stages) - set(STAGES) - set(apps))
        rows = [stage_row(n, session.stages.get(n, StageRecord())) for n in names]
        self.query_one(FilterTable).set_rows(rows)

    # --- intents ---------------------------------------------------------------------------------------------------

    def _selected(self) -> str | None:
        key = self.query_one(FilterTable).selected_key()
        if key is None:
            self.scaletui.say("No stage selected.")
        return key

    def _run(self, step: str) -> None:
        self.query_one(RichLog).write(Text(f"== {step}: starting", style="bold"))
        self.run_intent(f"running {step}", lambda: self.engine.testbed.run_checked(step), group=f"stage-{step}")

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
        self._run(f"{key}:{action}")

    def action_delete_app(self) -> None:
        self._app_action("delete")

    def action_reload_app(self) -> None:
        self._app_action("reload")

    def action_cancel_stage(self) -> None:
        self.scaletui.say(self.engine.testbed.cancel())

    def on_engine_event(self, event: Event) -> None:
        log = self.query_one(RichLog)
        if isinstance(event, StageTask):
            if event.status == "started":
                return
            took = f" {event.duration_s:.1f}s" if event.duration_s is not None else ""
            line = Text.assemble(
                (f"{event.status:<11}", TASK_STYLE.get(event.status, "")),
                f"{event.stage} | {event.host} | {event.task}{took}",
                (f"  {event.message}" if event.message and event.status in ("failed", "unreachable") else "", "red"),
            )
            log.write(line)
            bar = self.query_one(ProgressBar)
            bar.update(total=event.tasks_total, progress=event.tasks_done)
        elif isinstance(event, StageStateChanged):
            self.query_one(ProgressBar).set_class(event.state == "running", "-running")
            log.write(Text(f"== {event.stage}: {event.state} {event.message}", style=STATE_STYLE.get(event.state, "")))
