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
        names = list(STAGES) + sorted(set(session.stages) - set(STAGES))
        rows = [stage_row(n, session.stages.get(n, StageRecord())) for n in names]
        self.query_one(FilterTable).set_rows(rows)

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
