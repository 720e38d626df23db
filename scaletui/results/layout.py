"""Where a run's files live and what they are called: results/<session>/<run-id>/.

One place for the names so the recorder, the report, compare, export and the TUI's run history agree.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scaletui.errors import ConfigError

RUN_META = "run.json"
EXPERIMENT = "experiment.toml"
VERSIONS = "versions.json"
METRICS_CSV = "metrics.csv"
NODES_CSV = "nodes.csv"
LATENCY_CSV = "latency.csv"
NODE_LATENCY_CSV = "node_latency.csv"
DECISIONS = "decisions.jsonl"
FAULTS = "faults.jsonl"
STAGES = "stages.jsonl"
ACTUATIONS = "actuations.jsonl"
STATE = "state.jsonl"
"""What the panes show besides samples and decisions (instances, job, strategy, load, the steps taken by hand or
by the experiment file's timeline), for replay and the report's Timeline."""
ERRORS = "errors.jsonl"
"""Every error said during the run (a timeline step that failed, a fault that could not be injected, the job
failing): report.md lists them, so a run that did not go as written says so where it is read."""
EVENTS_LOG = "events.log"
REPORT = "report.md"
PLOTS_DIR = "plots"
CSV_FILES = (METRICS_CSV, NODES_CSV, LATENCY_CSV, NODE_LATENCY_CSV)
JSONL_FILES = (DECISIONS, FAULTS, STAGES, ACTUATIONS, STATE, ERRORS)
EXPORT_MARKER = ".scaletui-export"
"""Written into every Parquet export (`scaletui export --format parquet`): the export carries run.json as a run
does, and sits beside its run by default, so the marker alone keeps it out of a session's runs and lets --force
replace it without ever removing a run."""

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A lower-case, dash-separated name safe in a path on every filesystem."""
    return _SLUG.sub("-", text.lower()).strip("-")[:40] or "run"


def new_run_id(name: str, at: float | None = None) -> str:
    """`20261123T005601Z-<name>`: UTC time first, so ids sort by start time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if at is None else at))
    return f"{stamp}-{slugify(name)}"


def claim_run_dir(session_dir: Path, run_id: str) -> Path:
    """Create and return `session_dir/run_id`, or `-2`, `-3`... when a run with that id already holds the name.

    mkdir is the claim, so two recorders starting in the same second never share a directory.
    """
    session_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = session_dir / (run_id if n == 1 else f"{run_id}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise ConfigError(f"{session_dir} already holds 1000 runs named {run_id}.", "Clean up the results directory.")


def is_export(path: Path) -> bool:
    """Marked at export; or, from before the marker, Parquet tables with none of a run's own CSV and JSONL files."""
    if (path / EXPORT_MARKER).is_file():
        return True
    return (path / "metrics.parquet").is_file() and not any(
        (path / name).exists() for name in (*CSV_FILES, *JSONL_FILES)
    )


def is_run_dir(path: Path) -> bool:
    """A run's own directory: an export of one (which holds its run.json) is not, so a session's runs leave it out."""
    return ((path / RUN_META).is_file() or (path / METRICS_CSV).is_file()) and not is_export(path)


def runs_under(roots: Iterable[Path | str]) -> list[Path]:
    """The run directories at each of `roots` (a run, or a session's directory of runs), in the order given."""
    return [run_dir for root in roots for run_dir in find_runs(root)]


def find_runs(path: Path | str) -> list[Path]:
    """The run directories at `path`: itself if it is one, else its run children (a session dir), sorted by id."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory.", "Give a results directory: results/<session>/<run-id>.")
    if is_run_dir(root):
        return [root]
    if is_export(root):
        raise ConfigError(
            f"{root} is an export of a run (scaletui export), not a run's results.",
            "Give the run's own directory, results/<session>/<run-id>, or its id.",
        )
    runs = sorted(child for child in root.iterdir() if child.is_dir() and is_run_dir(child))
    sessions = [] if runs else _session_dirs(root)
    if sessions:  # a results root: which of its sessions is meant is the user's to say, not ours to guess
        names = ", ".join(s.name for s in sessions)
        raise ConfigError(
            f"{root} is a results root holding the sessions {names}, not runs: give one of them.",
            f"A session's directory stands for all its runs, e.g. {sessions[0]}; one run is <session>/<run-id>.",
        )
    if not runs:
        raise ConfigError(
            f"{root} holds no run results (no {RUN_META} or {METRICS_CSV}).",
            "Give a directory written by a run: results/<session>/<run-id>.",
        )
    return runs


def _session_dirs(root: Path) -> list[Path]:
    """The children of `root` that hold runs: the sessions of a results root (results/<session>/<run-id>)."""
    return sorted(
        child
        for child in root.iterdir()
        if child.is_dir() and any(g.is_dir() and is_run_dir(g) for g in child.iterdir())
    )


TRIAL_NAME = re.compile(r"^(?P<base>.+)-scalability-(?P<load>[0-9][0-9.e+]*)-p(?P<parallelism>[0-9]+)$")
"""The experiment name of a scalability trial's run (scaletui/scalability/trial.py makes them):
`<experiment>-scalability-<load>-p<P>`, here with the run names so the run history and compare can tell trials apart."""


def trial_name(experiment: str, load: float, parallelism: int) -> str:
    return f"{experiment}-scalability-{load:g}-p{parallelism}"


def parse_trial_name(name: str) -> tuple[str, str, int] | None:
    """(experiment, load as written, parallelism) of a trial's name; None for any other run."""
    m = TRIAL_NAME.match(name)
    return (m["base"], m["load"], int(m["parallelism"])) if m else None


RUN_ID = re.compile(r"^[0-9]{8}T(?P<time>[0-9]{6}Z)-(?P<rest>.*)$")
"""A run id as `new_run_id` makes it: `<UTC date>T<time>Z-<experiment slug>[-<n>]`."""


def short_run_id(run_id: str, experiment: str) -> str:
    """`20261207T011214Z-sim-timeline-2` reads `011214Z-2` where the date and the experiment's name are shown beside
    it (the run history, compare's headings): the id's UTC time and its same-second suffix tell two runs apart."""
    m = RUN_ID.match(run_id)
    if m is None:
        return run_id
    rest, slug = m["rest"], slugify(experiment)
    if rest == slug:
        return m["time"]
    if rest.startswith(slug + "-") and rest[len(slug) + 1 :].isdigit():
        return m["time"] + rest[len(slug) :]
    return f"{m['time']}-{rest}"


def distinct_short_ids(runs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each run's short id among `runs` ((run id, experiment) pairs), unique among them: the run history's Run
    column and what the verbs resolve. Runs that share a short id (scalability trials started in the same second)
    get the last parts of their ids, as few as tell them apart (`151509Z-p1`, `151509Z-900-p1`); runs nothing but
    the date tells apart (the same time of day on two days), their whole ids."""
    short = {run_id: short_run_id(run_id, experiment) for run_id, experiment in runs}
    sharing: dict[str, list[str]] = {}
    for run_id, id_ in short.items():
        sharing.setdefault(id_, []).append(run_id)
    alone = {id_ for id_, group in sharing.items() if len(group) == 1}
    shown = {run_id: id_ if id_ in alone else _apart(run_id, sharing[id_], alone) for run_id, id_ in short.items()}
    seen: dict[str, int] = {}
    for id_ in shown.values():
        seen[id_] = seen.get(id_, 0) + 1
    return {run_id: id_ if seen[id_] == 1 else run_id for run_id, id_ in shown.items()}


def _apart(run_id: str, group: list[str], taken: set[str]) -> str:
    """The time of `run_id` and the fewest last parts of its id that no other run of `group` ends with."""
    parts = _tail_parts(run_id)
    if parts is None:
        return run_id
    for k in range(1, len(parts[1]) + 1):
        candidate = _tail(parts, k)
        others = {_tail(p, k) for other in group if other != run_id and (p := _tail_parts(other)) is not None}
        if candidate not in others and candidate not in taken:
            return candidate
    return run_id


def _tail_parts(run_id: str) -> tuple[str, list[str]] | None:
    m = RUN_ID.match(run_id)
    return (m["time"], m["rest"].split("-")) if m else None


def _tail(parts: tuple[str, list[str]], k: int) -> str:
    time_of_day, rest = parts
    return f"{time_of_day}-{'-'.join(rest[-k:])}"


def read_json_object(path: Path) -> dict[str, Any]:
    """A run's JSON file (run.json, versions.json) as its object; {} when it is missing, unreadable or not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}
