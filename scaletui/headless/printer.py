"""One line per event on stdout; on a TTY, a progress bar for the run that redraws in place under the lines.

Plain text (no rich), so output piped to a file or read over a slow SSH link stays clean.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from scaletui.config.units import format_duration
from scaletui.events import (
    ActuationEvent,
    DecisionEvent,
    ErrorEvent,
    Event,
    FaultEvent,
    JobChanged,
    MetricsEvent,
    Notice,
    Progress,
    StageStateChanged,
    StageTask,
)
from scaletui.headless.live_line import LiveLine


def describe(event: Event) -> str | None:
    """The line printed for an event, or None for events that only feed the progress bar (metrics)."""
    if isinstance(event, Progress):
        pct = f" {event.fraction * 100:3.0f}%" if event.fraction is not None else ""
        return f"[{event.step}]{pct} {event.message}".rstrip()
    if isinstance(event, StageTask):
        if event.status == "started":
            return None
        took = f" ({event.duration_s:.1f}s)" if event.duration_s is not None else ""
        detail = f": {event.message}" if event.status in ("failed", "unreachable") and event.message else ""
        return f"[stage {event.stage}] {event.status} {event.host} {event.task}{took}{detail}"
    if isinstance(event, StageStateChanged):
        return f"[stage {event.stage}] {event.state} {event.message}".rstrip()
    if isinstance(event, JobChanged):
        par = " ".join(f"{k}={v}" for k, v in event.parallelism.items())
        return f"[job] {event.state} {event.job_id or ''} {par} {event.message}".rstrip()
    if isinstance(event, DecisionEvent):
        tag = "dry-run" if event.dry_run else "applied" if event.applied else "kept"
        par = " ".join(f"{k}={v}" for k, v in event.parallelism.items())
        before, after = event.taskmanagers_before, event.taskmanagers
        tms = f" taskmanagers {before}->{after}" if None not in (before, after) and before != after else ""
        return f"[decision {event.strategy}] {tag} {par}{tms}: {event.reason}"
    if isinstance(event, ActuationEvent):
        down = f", downtime {event.downtime_s:.1f}s" if event.downtime_s is not None else ""
        took = f" in {event.ended - event.started:.1f}s" if event.ended else ""
        named = event.target == event.kind or isinstance(event.after, dict)  # the counts name what they are of
        change = f"{event.kind}{'' if named else ' ' + event.target} {_counts(event.before, event.after)}"
        return f"[rescale] {change}{took}{down} {event.message}".rstrip()
    if isinstance(event, FaultEvent):
        what = f"{event.kind} on {', '.join(event.targets)}"
        if event.action == "injected":
            return f"[fault {event.fault_id}] injected {event.message or what}"
        if event.action == "failed":
            return f"[fault {event.fault_id}] FAILED {what}: {event.message}"
        return f"[fault {event.fault_id}] {event.action} {what}"
    if isinstance(event, ErrorEvent):
        return f"[error] {event.message} {event.hint}".rstrip()
    if isinstance(event, Notice):
        return f"[{event.level}] {event.message}"
    return None


class ProgressPrinter:
    """Subscribes to the bus; the bar starts with the run step and fills over the experiment's duration."""

    def __init__(
        self, duration: float = 0.0, stream: TextIO | None = None, tty: bool | None = None, width: int = 30
    ) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.width = width
        self.duration = duration
        self.span: tuple[float, float] | None = None
        self.last_rate = ""
        self._out = LiveLine(self.stream, self.tty)
        self._lock = threading.Lock()
        self._failures_said: list[str] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, MetricsEvent):
                s = event.sample
                achieved = "missing" if s.achieved_rate is None else f"{s.achieved_rate:.0f}"
                target = "missing" if s.target_rate is None else f"{s.target_rate:.0f}"
                self.last_rate = f"rate {achieved}/{target}/s"
                if self.tty:
                    self._bar(event.sample.ts)
                return
            if isinstance(event, Progress) and event.step == "run" and self.span is None and self.duration:
                self.span = (event.ts, self.duration)
            line = None if self._said_already(event) else describe(event)
            if line is not None:
                self._out.write(line)

    def _said_already(self, event: Event) -> bool:
        """One line per fault event: the timeline's notice of a fault it fired, and the error the run or the ledger
        raises for a fault whose failure its fault line printed (same cause), say nothing new."""
        if isinstance(event, FaultEvent):
            if event.action == "failed":
                self._failures_said.append(event.message)
            return False
        if isinstance(event, Notice):
            return event.restates
        if isinstance(event, DecisionEvent):
            return event.in_progress  # its line comes with its outcome
        if isinstance(event, ErrorEvent):
            cause = event.message.partition(": ")[2]
            said = next((m for m in self._failures_said if cause and cause in m), None)
            if said is not None:
                self._failures_said.remove(said)
                return True
        return False

    def _bar(self, now: float) -> None:
        if not self.span:
            return
        start, duration = self.span
        done = min(1.0, max(0.0, (now - start) / duration)) if duration else 1.0
        fill = int(done * self.width)
        bar = "#" * fill + "-" * (self.width - fill)
        left = format_duration(max(0.0, start + duration - now))
        self._out.write(f"[{bar}] {done * 100:3.0f}% {left} left  {self.last_rate}", live=True)

    def close(self) -> None:
        with self._lock:
            self._out.close()


def _counts(before: object, after: object) -> str:
    """`2 -> 1`, or per operator `expensive 1 -> 2` (the changed ones; all when none changed), not dict reprs."""
    if isinstance(before, dict) and isinstance(after, dict):
        names = [k for k in after if before.get(k) != after.get(k)] or list(after)
        return ", ".join(f"{k} {before.get(k, '-')} -> {after[k]}" for k in names)
    return f"{before} -> {after}"
