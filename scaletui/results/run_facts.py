"""What the run history lists of a run, read from its files without loading its series: how long its job ran in
the run's own clock (simulated seconds for the simulator), and which strategies it ran.

Cheap on purpose: the history lists every run of a session and refreshes every two seconds, so this reads the tail of
metrics.csv, run.json and the recorded experiment.toml only, in a thread, and the history keeps what an ended run
gives (its files no longer change).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaletui.results import layout

TAIL_BYTES = 65536


def last_metrics_row(run_dir: Path) -> list[str] | None:
    """The fields of metrics.csv's last whole row (a killed process may have torn the very last one), or None."""
    path = run_dir / layout.METRICS_CSV
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - TAIL_BYTES))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines[1:] if len(lines) > 1 else lines):
        fields = line.split(",")
        try:
            float(fields[0]), float(fields[1])
        except (ValueError, IndexError):
            continue
        return fields
    return None


def job_length(run_dir: Path | str) -> float | None:
    """The job's seconds in the run's own clock: the last sample's `t_s` (time from the load's start, simulated for
    the simulator); None when no sample was recorded."""
    row = last_metrics_row(Path(run_dir))
    return max(0.0, float(row[1])) if row is not None else None


def strategy_switches(experiment: Mapping[str, Any]) -> list[tuple[str, object]]:
    """The strategy a recorded experiment began with (at None), then each one its timeline switched to, with the
    step's `at` as the file wrote it; ("none", None) without a [strategy]."""
    spec = experiment.get("strategy", {})
    current = str(spec.get("name", "none")) if isinstance(spec, dict) else "none"
    switches: list[tuple[str, object]] = [(current, None)]
    timeline = experiment.get("timeline", [])
    for step in timeline if isinstance(timeline, list) else []:
        if isinstance(step, dict) and step.get("do") == "strategy" and step.get("name", current) != current:
            current = str(step["name"])
            switches.append((current, step.get("at", 0)))
    return switches


def strategies_ran(run_dir: Path | str) -> str:
    """`transscale`, or `none→ds2` for a run whose timeline switched; "" when the experiment copy is unreadable."""
    try:
        experiment = tomllib.loads((Path(run_dir) / layout.EXPERIMENT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return "→".join(name for name, _ in strategy_switches(experiment))


def recorded_status(run_dir: Path | str) -> str:
    """The status the run's own run.json holds ("" when unreadable)."""
    return str(layout.read_json_object(Path(run_dir) / layout.RUN_META).get("status", ""))


@dataclass(frozen=True)
class RunFacts:
    """What the run history lists of a run's files."""

    strategies: str
    """As `strategies_ran` gives them ("" when unreadable)."""
    status: str = ""
    """run.json's status, read once the run has ended."""
    length: float | None = None
    """The job's length (`job_length`), read once the run has ended."""
    final: bool = False
    """Read after the run ended: its files no longer change, so these facts never need reading again."""


def read_run_facts(run_dir: Path | str, ended: bool) -> RunFacts:
    """A running run's strategies only (its timeline grows as steps are taken; its length is not shown); an ended
    run's strategies, status and length, final."""
    if not ended:
        return RunFacts(strategies_ran(run_dir))
    return RunFacts(strategies_ran(run_dir), recorded_status(run_dir), job_length(run_dir), final=True)
