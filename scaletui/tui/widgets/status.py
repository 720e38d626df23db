"""The header: session, platform and job state in one line, and the latest notice or error under it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from scaletui.config.units import format_duration
from scaletui.session.model import Session


def summary(session: Session, now: float) -> Text:
    """Compact enough for 80 columns: the parts most often needed come first."""
    text = Text.assemble((session.name, "bold"))
    live = [r for r in session.reservations if r.state in ("reserving", "waiting", "running")]
    if live:
        r = live[0]
        left = ""
        if r.walltime_s and r.started_at:
            left = " " + format_duration(max(0.0, r.started_at + r.walltime_s - now))
        more = f" +{len(live) - 1}" if len(live) > 1 else ""
        text.append(f" │ {r.platform} {r.state}{left}{more}")
    text.append(" │ cluster ", "dim")
    text.append(session.cluster.backend if session.cluster.backend != "none" else "off")
    job = session.job
    text.append(" │ job ", "dim")
    if job.job_id:
        text.append(f"{job.state.lower()} {sum(op.parallelism for op in job.operators)} slots")
    else:
        text.append("none")
    if session.strategy.name != "none":
        flags = " (dry)" if session.strategy.dry_run else ""
        flags += " (paused)" if session.strategy.paused else ""
        text.append(f" │ {session.strategy.name}{flags}")
    if session.faults:
        text.append(f" │ {len(session.faults)} fault{'s' if len(session.faults) > 1 else ''}", "bold red")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def show(self, session: Session, now: float) -> None:
        self.update(summary(session, now))


class MessageLine(Static):
    """The last notice, warning or error: one sentence, and what to do."""

    DEFAULT_CSS = """
    MessageLine { height: 1; padding: 0 1; color: $text-muted; }
    MessageLine.-error { color: $error; }
    MessageLine.-warning { color: $warning; }
    """

    def say(self, message: str, level: str = "info") -> None:
        self.set_class(level == "error", "-error")
        self.set_class(level == "warning", "-warning")
        self.update(Text(message, overflow="ellipsis", no_wrap=True))
