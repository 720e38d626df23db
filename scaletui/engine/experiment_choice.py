"""The experiment file the run history's `n` offers first: the first by name was local-constant.toml, whose Enter
starts real local Flink even in a session that only ever used the simulator.

The session's reserved platform comes first: the experiment on it that the session ran last, else the first file on
it. With none reserved, the experiment the session ran last, else the first file on the platform of its last live
run. Failing all of those, the first file by name.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scaletui.results.layout import parse_trial_name
from scaletui.session.model import Session

BACKEND_PLATFORM = {"local": "local", "simulator": "simulator"}
"""A live run's backend -> the platform file its experiments name (a testbed's backend names no single one)."""


@dataclass(frozen=True)
class ExperimentHead:
    """An experiment file's name and platform, read without validating the rest (that happens when it starts)."""

    path: Path
    name: str
    platform: str


def read_head(path: Path) -> ExperimentHead:
    try:
        table = tomllib.loads(path.read_text()).get("experiment", {})
    except (OSError, tomllib.TOMLDecodeError):
        table = {}
    table = table if isinstance(table, dict) else {}
    return ExperimentHead(path, str(table.get("name", path.stem)), str(table.get("platform", "local")))


def ran_experiments(session: Session) -> list[str]:
    """The experiments the session ran from files, newest first; a scalability trial counts as its experiment."""
    runs = sorted((r for r in session.runs if not r.live), key=lambda r: r.started_at, reverse=True)
    return [trial[0] if (trial := parse_trial_name(r.experiment)) else r.experiment for r in runs]


def preferred_experiment(files: Sequence[Path], session: Session) -> Path | None:
    """Which of `files` to offer first in this session (module docstring); None when there is none."""
    if not files:
        return None
    heads = [read_head(path) for path in files]
    ran = ran_experiments(session)
    platform = session.reserved_platform()
    if platform is None:
        last = next((h for name in ran for h in heads if h.name == name), None)
        if last is not None:
            return last.path
        live = sorted((r for r in session.runs if r.live), key=lambda r: r.started_at, reverse=True)
        platform = BACKEND_PLATFORM.get(live[0].backend) if live else None
    on_platform = [h for h in heads if h.platform == platform]
    last_there = next((h for name in ran for h in on_platform if h.name == name), None)
    if last_there is not None:
        return last_there.path
    return on_platform[0].path if on_platform else files[0]
