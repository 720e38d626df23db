"""What was done by hand in a live session, kept as an experiment file that `--script` re-runs.

The file is the live session's starting point (platform, job, load, strategy settings) plus one `[[timeline]]`
entry per intent applied, at the second it was asked for (and started). It is rewritten atomically after every
intent, so a crash leaves a file that replays everything up to it; the duration is the session's length so far, and
the next open of the session, which closes the run, makes it the length recorded.
"""

from __future__ import annotations

import math
import threading
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from scaletui.atomic_file import atomic_write
from scaletui.config.models import Experiment, TimelineStep
from scaletui.session.store import strip_none

HEADER = (
    "# What was done by hand in a live session of scaletui, recorded as an experiment.\n"
    "# Re-run it unattended with:  scaletui --script {path}\n\n"
)


class HandTimeline:
    """Collects the intents a live run applies and keeps `experiment.toml` in the run directory up to date."""

    def __init__(self, path: Path, start: Experiment) -> None:
        self.path = path
        self.start = start
        self.steps: list[TimelineStep] = []
        self._lock = threading.Lock()
        self.write(0.0)

    def add(self, step: TimelineStep, elapsed: float) -> None:
        """`step.at` is when it was asked for; `elapsed` the run's length so far, both on the run's clock. Called
        from the run loop and from the actuation thread (a TaskManager start is recorded when it ends)."""
        with self._lock:
            self.steps.append(step)
        self.write(elapsed)

    def write(self, elapsed: float) -> None:
        """Rewrite the file with the steps so far, in time order; the duration covers every second the run ran, so a
        re-run makes every decision the run made (rounded to the nearest second, a run stopped at 140.4 s lost its
        decision at 140.1 s), and every step (and at least one second). One writer at a time, so a slower one never
        puts back a file with fewer steps."""
        with self._lock:
            steps = sorted(self.steps, key=lambda s: s.at)
            last = max((s.at for s in steps), default=0.0)
            duration = max(math.ceil(elapsed), int(last) + 1, 1)
            info = self.start.experiment.model_copy(update={"duration": float(duration)})
            doc = self.start.model_copy(update={"experiment": info, "timeline": steps, "faults": []})
            text = HEADER.format(path=self.path) + tomli_w.dumps(_plain(doc))
            atomic_write(self.path, text)


def cover_recorded_length(run_dir: Path) -> None:
    """A live run whose scaletui died: its file's duration was written at its last intent; make it cover the run's
    recorded length (its last sample's `t_s`), as `HandTimeline.write` at its teardown would have, so a re-run lasts
    as long as the run did. Never shortens the file."""
    from scaletui.config.units import parse_duration
    from scaletui.results import layout
    from scaletui.results.run_facts import job_length

    path, length = run_dir / layout.EXPERIMENT, job_length(run_dir)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        info = doc["experiment"]
        written = parse_duration(info["duration"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        return
    if length is None or math.ceil(length) <= written:
        return
    info["duration"] = float(math.ceil(length))
    atomic_write(path, HEADER.format(path=path) + tomli_w.dumps(doc))


def _plain(experiment: Experiment) -> dict[str, Any]:
    doc = strip_none(experiment.model_dump(mode="json"))
    if not doc.get("timeline"):
        doc.pop("timeline", None)
    doc.pop("faults", None)
    if doc.get("slo") in (None, {}):
        doc.pop("slo", None)
    return dict(doc)
