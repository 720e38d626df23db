"""A run read back from its directory alone: the time series and event lists the report, SLO and compare use.

Tolerant of a run cut short: a half-written last CSV row or JSON line is skipped, a missing file is empty.
Missing values are NaN, never zero.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from scaletui.config.models import SloSpec
from scaletui.config.units import format_duration, parse_duration
from scaletui.errors import ConfigError
from scaletui.results import layout
from scaletui.results.records import is_operator
from scaletui.results.run_facts import strategy_switches

log = logging.getLogger(__name__)
FAULT_ENDS = ("reverted", "expired", "failed", "cleaned")


@dataclass(frozen=True)
class FaultWindow:
    fault_id: str
    kind: str
    start: float
    end: float
    targets: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NodeSeries:
    ts: np.ndarray
    cpu_cores: np.ndarray
    memory_bytes: np.ndarray


def _number(text: str) -> float:
    try:
        return float(text) if text != "" else math.nan
    except ValueError:
        return math.nan


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines.pop()  # cut short by a crash: even a row with all its fields may hold a truncated number
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header:
        return []
    return [dict(zip(header, row)) for row in reader if len(row) == len(header)]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass
class RunData:
    run_dir: Path
    meta: dict[str, Any]
    experiment: dict[str, Any]
    versions: dict[str, Any]
    ts: np.ndarray
    target: np.ndarray
    achieved: np.ndarray
    backlog: np.ndarray
    taskmanagers: np.ndarray
    total_slots: np.ndarray
    free_slots: np.ndarray
    parallelism: dict[str, np.ndarray]
    busy: dict[str, np.ndarray]
    latency: dict[str, np.ndarray]
    nodes: dict[str, NodeSeries] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    actuations: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    state: list[dict[str, Any]] = field(default_factory=list)
    """state.jsonl: the job, strategy and load as they changed, and the steps taken by hand or by the timeline."""

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The state records of one event type ("StepTaken", "StrategyChanged"), oldest first."""
        return sorted((r for r in self.state if r.get("type") == kind), key=lambda r: float(r.get("ts", 0.0)))

    @property
    def run_id(self) -> str:
        return str(self.meta.get("run_id") or self.run_dir.name)

    @property
    def name(self) -> str:
        info = self.experiment.get("experiment", {})
        return str(self.meta.get("experiment") or (info.get("name") if isinstance(info, dict) else "") or "run")

    @property
    def strategy(self) -> str:
        """The strategy the run began with, then each one its timeline switched to (a live session's `a` presses):
        "none, transscale from 1m38s"."""
        return ", ".join(
            name if at is None else f"{name} from {_when(at)}" for name, at in strategy_switches(self.experiment)
        )

    @property
    def start(self) -> float:
        """Time 0 of the run: when its load began (the experiment file's times count from it). With no recorded
        start, one usual interval before the first sample, which measured the interval up to it."""
        started = self.meta.get("origin", self.meta.get("started_at"))
        if isinstance(started, (int, float)):
            return float(started)
        return float(self.ts[0]) - self._usual_interval() if len(self.ts) else 0.0

    @property
    def end(self) -> float:
        """When the recording ended (after the teardown for a run that closed): fault windows still open end here."""
        ended = self.meta.get("ended_at")
        last = float(self.ts[-1]) if len(self.ts) else self.start
        return max(float(ended), last) if isinstance(ended, (int, float)) else last

    def job_steps(self) -> np.ndarray:
        """Which steps belong to the job (t ≥ 0): a local run also records the cluster before the job ran."""
        return np.asarray(self.ts >= self.start)

    @property
    def duration(self) -> float:
        """The job's seconds: from its start (t = 0) to its last sample, neither the rows recorded before it nor
        the teardown after it; what the report calls duration and the SLO is judged over."""
        job = self.ts[self.job_steps()]
        return float(job[-1]) - self.start if len(job) else 0.0

    @property
    def planned_duration(self) -> float | None:
        """The seconds the experiment file asked for, or None (a live session, an unreadable file)."""
        info = self.experiment.get("experiment", {})
        try:
            return parse_duration(info["duration"]) if isinstance(info, dict) and "duration" in info else None
        except ValueError:
            return None

    @property
    def t(self) -> np.ndarray:
        """Seconds since the run started, for plot axes."""
        return self.ts - self.start

    @property
    def status(self) -> str:
        return str(self.meta.get("status", "unknown"))

    @property
    def slo(self) -> SloSpec | None:
        """The SLO the copied experiment file asserts, or None (also when that table is invalid)."""
        doc = self.experiment.get("slo")
        if not isinstance(doc, dict):
            return None
        try:
            return SloSpec.model_validate(doc)
        except ValidationError:
            log.warning("%s: the [slo] table of %s is invalid; no SLO checked", self.run_dir, layout.EXPERIMENT)
            return None

    def _usual_interval(self) -> float:
        gaps = np.diff(self.ts)
        usual = float(np.median(gaps)) if len(gaps) else 1.0
        return usual if usual > 0 else 1.0

    def step_durations(self) -> np.ndarray:
        """Seconds each step stands for: the time since the step before it (a sample measures the interval up to
        it; the job's first step, since the job's start), at most twice the usual interval (longer gaps are
        unknown). Summed over the job's steps, at most its duration; equal when no sample was missed."""
        if len(self.ts) == 0:
            return np.zeros(0)
        usual = self._usual_interval()
        before = np.insert(self.ts[:-1], 0, min(self.start, float(self.ts[0]) - usual))
        before = np.where(self.job_steps(), np.maximum(before, self.start), before)
        return np.asarray(np.minimum(self.ts - before, 2 * usual))

    def fault_windows(self) -> list[FaultWindow]:
        """Each injected fault from injection to its revert/expiry (or its planned expiry, or the run's end)."""
        windows = []
        for record in self.faults:
            if record.get("action") != "injected":
                continue
            fid, start = record.get("fault_id"), float(record.get("ts", 0.0))
            ends = [
                float(r["ts"])
                for r in self.faults
                if r.get("fault_id") == fid and r.get("action") in FAULT_ENDS and float(r.get("ts", 0)) >= start
            ]
            end = min(ends) if ends else float(record.get("expires") or self.end)
            windows.append(
                FaultWindow(
                    str(fid),
                    str(record.get("kind", "")),
                    start,
                    max(end, start),
                    tuple(record.get("targets") or ()),
                    dict(record.get("params") or {}),
                )
            )
        return windows


@dataclass(frozen=True)
class _Rows:
    """CSV rows with each one's time-step position, so a column is parsed once, not looked up per value."""

    rows: list[dict[str, str]]
    where: np.ndarray

    @classmethod
    def of(cls, rows: list[dict[str, str]], index: dict[float, int]) -> _Rows:
        return cls(rows, np.array([index[_number(r["ts"])] for r in rows], dtype=int))

    def series(self, column: str, n: int) -> np.ndarray:
        out = np.full(n, np.nan)
        values = np.array([_number(r.get(column, "")) for r in self.rows], dtype=float)
        known = ~np.isnan(values)
        out[self.where[known]] = values[known]
        return out


def load_run(run_dir: Path | str) -> RunData:
    """Read a run directory; raises ConfigError when it is not one."""
    root = Path(run_dir).expanduser()
    if not root.is_dir() or not layout.is_run_dir(root):
        raise ConfigError(
            f"{root} is not a run's results directory (no {layout.RUN_META} or {layout.METRICS_CSV}).",
            "Give a directory written by a run: results/<session>/<run-id>.",
        )
    experiment: dict[str, Any] = {}
    if (root / layout.EXPERIMENT).is_file():
        try:
            experiment = tomllib.loads((root / layout.EXPERIMENT).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            log.warning("%s: %s is not valid TOML", root, layout.EXPERIMENT)
    metrics = [r for r in read_csv_rows(root / layout.METRICS_CSV) if not math.isnan(_number(r.get("ts", "")))]
    latency = [r for r in read_csv_rows(root / layout.LATENCY_CSV) if not math.isnan(_number(r.get("ts", "")))]
    steps = sorted({_number(r["ts"]) for r in metrics} | {_number(r["ts"]) for r in latency})
    index = {ts: i for i, ts in enumerate(steps)}
    n = len(steps)
    per_op: dict[str, list[dict[str, str]]] = {}
    per_step: dict[str, dict[str, str]] = {}  # job-level values repeat on each operator's row: one row per step
    for row in metrics:
        per_step[row["ts"]] = row
        if is_operator(row.get("operator")):
            per_op.setdefault(row["operator"], []).append(row)
    per_stat: dict[str, list[dict[str, str]]] = {}
    for row in latency:
        per_stat.setdefault(row.get("stat", ""), []).append(row)
    job = _Rows.of(list(per_step.values()), index)
    ops = {op: _Rows.of(rows, index) for op, rows in per_op.items()}
    stats = {stat: _Rows.of(rows, index) for stat, rows in per_stat.items()}
    nodes: dict[str, NodeSeries] = {}
    node_rows: dict[str, list[dict[str, str]]] = {}
    for row in read_csv_rows(root / layout.NODES_CSV):
        node_rows.setdefault(row.get("node", ""), []).append(row)
    for node, rows in node_rows.items():
        nodes[node] = NodeSeries(
            np.array([_number(r["ts"]) for r in rows]),
            np.array([_number(r.get("cpu_cores", "")) for r in rows]),
            np.array([_number(r.get("memory_bytes", "")) for r in rows]),
        )
    return RunData(
        run_dir=root,
        meta=layout.read_json_object(root / layout.RUN_META),
        experiment=experiment,
        versions=layout.read_json_object(root / layout.VERSIONS),
        ts=np.array(steps, dtype=float),
        target=job.series("target_rate", n),
        achieved=job.series("achieved_rate", n),
        backlog=job.series("backlog", n),
        taskmanagers=job.series("taskmanagers", n),
        total_slots=job.series("total_slots", n),
        free_slots=job.series("free_slots", n),
        parallelism={op: rows.series("parallelism", n) for op, rows in ops.items()},
        busy={op: rows.series("busy_ms_per_s", n) for op, rows in ops.items()},
        latency={stat: rows.series("latency_ms", n) for stat, rows in stats.items()},
        nodes=nodes,
        decisions=read_jsonl(root / layout.DECISIONS),
        faults=read_jsonl(root / layout.FAULTS),
        actuations=read_jsonl(root / layout.ACTUATIONS),
        stages=read_jsonl(root / layout.STAGES),
        errors=read_jsonl(root / layout.ERRORS),
        state=read_jsonl(root / layout.STATE),
    )


def _when(at: object) -> str:
    """A timeline step's time as the file wrote it ("30s", 98.1) in the report's form; unreadable text as written."""
    try:
        return format_duration(parse_duration(at))
    except ValueError:
        return str(at)
