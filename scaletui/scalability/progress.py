"""The scalability benchmark on a terminal: its lines and, while a trial runs, how far the trial is.

On a TTY the trial's line redraws in place (`parallelism 2 (1 TM):  45% 1620/3600 s, trial 3 of at most 7`), as
`scaletui.headless.printer` draws a run's bar (both through `headless.live_line`); piped, the trial gets a line as
it begins, one per tenth at most of each counted step of its setup (downloading, starting Flink) and then one per
tenth of its duration at most, so a log of a long benchmark stays readable.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import TextIO

from scaletui.events import Event, Progress
from scaletui.headless.live_line import LiveLine


@dataclass(frozen=True)
class TrialStart:
    """A trial begins: the `number`th of the benchmark, of at most `most` if the rest of the search runs."""

    load: float
    parallelism: int
    taskmanagers: int
    number: int
    most: int
    duration: float

    def line(self, fraction: float | None = None, doing: str = "") -> str:
        """`  parallelism 2 (1 TM):  45% 1620/3600 s, trial 3 of at most 7`; before the run step, what the trial does
        (`start Flink  50% waiting for TaskManagers to register`), else `started`."""
        done = (
            (doing or "started")
            if fraction is None
            else f"{fraction:4.0%} {fraction * self.duration:.0f}/{self.duration:.0f} s"
        )
        trial = f"trial {self.number} of at most {self.most}"
        return f"  parallelism {self.parallelism} ({self.taskmanagers} TM): {done}, {trial}"


class BenchmarkPrinter:
    """`printer(line)` prints one of the benchmark's lines; `trial` and the bus's run progress (`on_progress`) show
    the running trial under them."""

    def __init__(self, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self._trial: TrialStart | None = None
        self._tenths = 0
        """Tenths of the trial said so far (not a TTY)."""
        self._running = False
        """The trial's run step has begun: the steps before it (starting Flink, the job) are no longer said."""
        self._setup_said: tuple[str, str, int] | None = None
        """The setup step, message and tenth said last. Not on a TTY, only steps that count their progress get a
        line (starting Flink, a download), a new message once per tenth at most: the instant ones (the platform, the
        load) would add five lines to every simulated trial, and a download's every MiB hundreds to the first."""
        self._out = LiveLine(self.stream, self.tty)
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._trial = None
            self._out.write(line)

    def trial(self, start: TrialStart) -> None:
        with self._lock:
            self._trial, self._tenths, self._running, self._setup_said = start, 0, False, None
            self._out.write(start.line(), live=True)

    def on_progress(self, event: Event) -> None:
        """The run step's progress (every 5 % of a trial, or 10 s): redrawn on a TTY, each tenth at most if not.
        Before it, each step of the trial's setup (a local cluster takes minutes to start on a busy machine)."""
        if not isinstance(event, Progress):
            return
        with self._lock:
            if self._trial is None:
                return
            if event.step != "run":
                if not self._running and (self.tty or self._news(event)):
                    tenth = int(event.fraction * 10) if event.fraction is not None else 0
                    self._setup_said = (event.step, event.message, tenth)
                    pct = f" {event.fraction:4.0%}" if event.fraction is not None else ""
                    doing = f"{event.step}{pct} {event.message}".rstrip()
                    self._out.write(self._trial.line(doing=doing), live=True)
                return
            self._running = True
            if event.fraction is None:
                return
            tenths = int(event.fraction * 10)
            if self.tty or tenths > self._tenths:
                self._tenths = tenths
                self._out.write(self._trial.line(min(1.0, event.fraction)), live=True)

    def _news(self, event: Progress) -> bool:
        """A setup step's progress worth a line of a log: a new step that counts its progress, or a new message of
        one a tenth further on (review 38 F4)."""
        if event.fraction is None:
            return False
        if self._setup_said is None or self._setup_said[0] != event.step:
            return True
        _, message, tenth = self._setup_said
        return event.message != message and int(event.fraction * 10) > tenth

    def close(self) -> None:
        """Leave the line in place (the next output starts below it)."""
        with self._lock:
            self._out.close()
