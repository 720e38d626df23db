"""The status line: session, platform and job state; the message line: the latest notice or error under the panes.

Both wrap rather than cut: at 80 columns the status line takes a second row when it must, breaking between its
parts, never inside one; a message takes up to three rows, so no sentence loses its end, and an error held above
the notices that follow it up to two more.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static

from scaletui.config.units import format_duration
from scaletui.events import USER_PAUSE
from scaletui.tui.widgets.filter_table import same_cell

if TYPE_CHECKING:
    from scaletui.cluster.base import Instance
    from scaletui.engine.core import Engine
    from scaletui.scaling.status import ControllerStatus
    from scaletui.session.model import Session, StrategyRecord
    from scaletui.tui.theming import Palette

SEP = " │ "


class Work(NamedTuple):
    """Work under way on the status line: what, for how many seconds, and how many more of the same group wait
    behind it (a second `+` queued while a TaskManager is being added)."""

    what: str
    seconds: float
    queued: int = 0

    @staticmethod
    def label(what: str) -> str:
        """A work's description without its bracketed hint: `starting the cluster (ctrl+g cancels)` reads `starting the
        cluster`."""
        return what.split(" (", 1)[0]

    @staticmethod
    def of_autoscaler(status: ControllerStatus | None) -> list[Work]:
        """The autoscaler's change under way, if one is."""
        if status is None or not status.acting or status.acting_for is None:
            return []
        return [Work(f"{status.strategy} {status.acting}", status.acting_for)]


@dataclass(frozen=True)
class Held:
    """An error or warning kept above later notices: its monotonic time for the hold, its clock time to show."""

    message: str
    level: str
    at: float
    said: float
    command: str


def slots_in_use(instances: Sequence[Instance]) -> tuple[int, int] | None:
    """Slots used and offered by the TaskManagers, as Flink reports them; None before the first report."""
    tms = [i for i in instances if i.role == "taskmanager" and i.slots_total is not None]
    if not tms:
        return None
    return sum(i.slots_used or 0 for i in tms), sum(i.slots_total or 0 for i in tms)


def summary(
    session: Session,
    now: float,
    palette: Palette,
    instances: Sequence[Instance] = (),
    work: Sequence[Work] = (),
    width: int = 0,
    strategy: StrategyRecord | None = None,
    leftover: bool = False,
) -> Text:
    """The parts most often needed come first, then the work under way with how long it has run (a notice it causes
    takes the message line from its own sentence); lines break between parts to fit `width`. `strategy`: the
    autoscaler of an experiment running from the run history, shown instead of the live session's. `leftover`: the
    session's cluster was left by a scaletui that ended without stopping it, and nothing watches it until `s`
    adopts it, so its job state is the one recorded then, not shown (user review 37 F4)."""
    parts: list[Text] = [Text(session.name, style="bold")]
    live = [r for r in session.reservations if r.state in ("reserving", "waiting", "running")]
    if live:
        r = live[0]
        left = ""
        if r.walltime_s and r.started_at:
            left = " " + format_duration(max(0.0, r.started_at + r.walltime_s - now))
        more = f" +{len(live) - 1}" if len(live) > 1 else ""
        parts.append(Text(f"{r.platform} {r.state}{left}{more}"))
    backend = session.cluster.backend
    parts.append(Text.assemble(("cluster ", "dim"), backend if backend != "none" else "off"))
    job = session.job
    if leftover:
        parts[-1].append(" left running (s adopts it)", style=palette.style("warn"))
    elif job.job_id:
        slots = slots_in_use(instances)
        used = f", {slots[0]}/{slots[1]} slots" if slots else ""
        parts.append(
            Text.assemble(("job ", "dim"), (f"{job.state.lower()}{used}", palette.style(job_state(job.state))))
        )
    else:
        parts.append(Text.assemble(("job ", "dim"), "none"))
    shown = strategy if strategy is not None else session.strategy
    if shown.name != "none":
        flags = " at start" if strategy is None and (backend == "none" or leftover) else ""  # the next cluster's
        flags += " (dry-run)" if shown.dry_run else ""
        flags += paused_text(shown.pause_reason) if shown.paused else ""
        parts.append(Text(f"{shown.name}{flags}", style=palette.style("decision")))
    if session.faults:
        count = len(session.faults)
        parts.append(
            Text(f"{count} fault{'s' if count > 1 else ''} active", style=palette.style("fault-active", "bold"))
        )
    for w in work:
        if w.seconds >= 1:
            queued = f" +{w.queued} queued" if w.queued else ""
            label = f"{Work.label(w.what)} {format_duration(w.seconds)}{queued}"
            parts.append(Text(label, style=palette.style("warn")))
    return fit_parts(parts, width)


def paused_text(reason: str) -> str:
    """The strategy's pause flag: bare when the user paused the loop, else with its cause in a few words
    ("(paused: TaskManagers set to 3 by hand)", "(paused: the job failed over under a fault)")."""
    cause = re.split(r";|,| \(", reason, maxsplit=1)[0].strip()
    return " (paused)" if cause in ("", USER_PAUSE) else f" (paused: {cause})"


def fit_parts(parts: Sequence[Text], width: int, sep: str = SEP) -> Text:
    """Parts joined by `sep`, a new line instead of it where the next part would not fit (Rich would break inside a
    part, at any space: "ds2 / (dry-run)"). A part wider than the line still wraps."""
    out, used = Text(), 0
    for n, part in enumerate(parts):
        if n and width and used + len(sep) + part.cell_len > width:
            out.append("\n")
            used = 0
        elif n:
            out.append(sep)
            used += len(sep)
        out.append_text(part)
        used += part.cell_len
    return out


def job_state(state: str) -> str:
    """A Flink job state's semantic colour."""
    return {"RUNNING": "ok", "FAILED": "fail", "FAILING": "fail", "CANCELED": "pending", "FINISHED": "pending"}.get(
        state.upper(), "warn"
    )


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 2; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, session_name: str, *, id: str | None = None) -> None:
        super().__init__(Text(session_name, style="bold"), id=id)
        self.instances: Sequence[Instance] = ()
        self._shown: Text | None = None
        self._last: tuple[Session, float, Palette, Sequence[Work], Engine | None] | None = None

    def show(
        self,
        session: Session,
        now: float,
        palette: Palette,
        work: Sequence[Work] = (),
        engine: Engine | None = None,
    ) -> None:
        """Refreshed every second: a line that reads the same is not laid out and painted again. `engine` tells an
        experiment's autoscaler from the run history and a cluster a crashed scaletui left."""
        self._last = (session, now, palette, work, engine)
        strategy = engine.experiment_strategy() if engine is not None else None
        leftover = engine is not None and engine.leftover_cluster()
        text = summary(session, now, palette, self.instances, work, self.content_size.width, strategy, leftover)
        if self._shown is None or not same_cell(text, self._shown):
            self._shown = text
            self.update(text)

    def on_resize(self) -> None:
        """The parts are laid out for the width: a new width lays them out again at once."""
        if self._last is not None:
            self.show(*self._last)


HOLD_S = {"error": 30.0, "warning": 15.0}
"""How long an error or a warning stays on the message line above newer routine notices: a failed rescale is not
wiped a second later by 'Cluster running'. A newer error or warning takes its place at once, and so does a later
success of the same command: the error it answers no longer holds."""

TRANSCRIPT_TEXT_COLUMN = len("00:00:00  warning  ")
"""Where a message's text starts in the transcript (`M`): after its time and its level; wrapped rows start there."""


class MessageLine(Vertical):
    """The last notice, warning or error: one sentence, and what to do, wrapped rather than cut. An error or warning
    is held above the routine notices that follow it for `HOLD_S`, marked with the time it was said so that it reads
    as earlier than the line beneath; every message of the app's run is in `history` (`:messages` lists them).

    The main screen has one, and so has every screen that opens the `:` line over it (the app says to all of them);
    it takes no row before its first message."""

    message = ""
    """The latest message said, whatever its level."""

    DEFAULT_CSS = """
    MessageLine { height: auto; padding: 0 1; }
    MessageLine > Static { height: auto; max-height: 3; color: $text-muted; display: none; }
    MessageLine > #held { max-height: 2; }
    MessageLine > Static.-error { color: $state-fail; }
    MessageLine > #latest.-error { text-style: bold; }
    MessageLine > Static.-warning { color: $state-warn; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history: deque[tuple[float, str, str]] = deque(maxlen=2000)
        self._held: Held | None = None
        self._expiry: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="held")
        yield Static(id="latest")

    def say(self, message: str, level: str = "info", command: str = "") -> None:
        """`command`: what the message answers (a `:` verb, a pane's intent), so that its success releases the
        error it held."""
        said = time.time()
        self.history.append((said, level, message))
        self.message = message
        now = time.monotonic()
        if level in HOLD_S:
            self._held = Held(message, level, now, said, command)
        elif command and self._held is not None and self._held.command == command:
            self._held = None
        self._show(self.query_one("#latest", Static), Text(message), level)
        held = self._held
        keep = held is not None and held.message != message and now - held.at < HOLD_S[held.level]
        if held is not None and keep:
            stamp = time.strftime("%H:%M:%S", time.localtime(held.said))
            self._show(self.query_one("#held", Static), Text.assemble((f"{stamp} ", "dim"), held.message), held.level)
            if self._expiry is not None:
                self._expiry.stop()
            self._expiry = self.set_timer(HOLD_S[held.level] - (now - held.at), self._release)
        else:
            self._release()

    def _release(self) -> None:
        """The held error's time is up: the line shows the latest message alone again."""
        self.query_one("#held", Static).display = False

    @staticmethod
    def _show(line: Static, message: Text, level: str) -> None:
        line.set_class(level == "error", "-error")
        line.set_class(level == "warning", "-warning")
        line.display = True
        line.update(message)

    def transcript(self) -> str:
        """Every message of this run of the app, oldest first, with its time and level; a message's own line breaks
        start under its text (TRANSCRIPT_TEXT_COLUMN). Read from a worker thread while `say` appends: it walks a
        copy."""
        said = tuple(self.history)
        under = "\n" + " " * TRANSCRIPT_TEXT_COLUMN
        lines = [
            f"{time.strftime('%H:%M:%S', time.localtime(ts))}  {level:<7}  {text.replace(chr(10), under)}"
            for ts, level, text in said
        ]
        return "\n".join(lines) or "No message yet."
