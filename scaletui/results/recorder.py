"""RunRecorder: writes a run's results directory from the event bus as events arrive.

Every file is appended to as events come in and flushed at least once a second (a flusher thread covers quiet
spells), so a crash or a SIGKILL loses at most the last second. `close()` adds Parquet copies of the CSVs, marks
the run finished in run.json and writes the report. Handlers run in the publishers' threads, hence one lock.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Literal

from scaletui.errors import ConfigError
from scaletui.events import (
    ActuationEvent,
    ClusterChanged,
    DecisionEvent,
    ErrorEvent,
    Event,
    EventBus,
    FaultEvent,
    JobChanged,
    LatencyEvent,
    LoadChanged,
    LocalClusterChanged,
    MetricsEvent,
    StageStateChanged,
    StageTask,
    StepTaken,
    StrategyChanged,
)
from scaletui.metrics.model import JobSample
from scaletui.results import layout
from scaletui.results.records import (
    LATENCY_COLUMNS,
    METRICS_COLUMNS,
    NODE_LATENCY_COLUMNS,
    NODES_COLUMNS,
    event_json,
    event_log_line,
    latency_rows,
    metrics_rows,
    node_latency_rows,
    node_rows,
    retime,
)
from scaletui.results.run_facts import last_metrics_row
from scaletui.results.versions import collect_versions

log = logging.getLogger(__name__)

RunStatus = Literal["running", "done", "failed", "interrupted"]
JSONL_EVENTS: tuple[tuple[tuple[type[Event], ...], str], ...] = (
    ((DecisionEvent,), layout.DECISIONS),
    ((FaultEvent,), layout.FAULTS),
    ((StageTask, StageStateChanged), layout.STAGES),
    ((ActuationEvent,), layout.ACTUATIONS),
    ((JobChanged, StrategyChanged, LoadChanged, StepTaken), layout.STATE),
    ((ErrorEvent,), layout.ERRORS),
)
"""Which events each JSON Lines file of a run holds (export names an empty file's columns from them)."""
INSTANCES_EVERY_S = 10.0
"""Instances are recorded when their set or states change, and at least this often (their CPU and memory)."""


def _experiment_name(path: Path | None) -> str:
    if path is None:
        return "run"
    try:
        with path.open("rb") as f:
            name = tomllib.load(f).get("experiment", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        name = None
    return str(name) if name else path.stem


def write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunRecorder:
    """Records one run under `results_root/<session>/<run-id>/`; subscribe it with `bus=` or call `record()`."""

    def __init__(
        self,
        results_root: Path | str,
        session: str,
        *,
        experiment_file: Path | str | None = None,
        experiment_name: str | None = None,
        bus: EventBus | None = None,
        run_id: str | None = None,
        flink_version: str | None = None,
        playbooks_dir: Path | str | None = None,
        flush_interval_s: float = 1.0,
        started_at: float | None = None,
    ) -> None:
        source = Path(experiment_file).expanduser() if experiment_file is not None else None
        if source is not None and not source.is_file():
            raise ConfigError(f"The experiment file {source} does not exist.", "Give the file the run is made of.")
        self.started_at = time.time() if started_at is None else started_at
        self.origin = self.started_at
        """Time 0 of the rows' `t_s`: the recorder's start until the run says when its load began (`set_origin`)."""
        self.experiment_name = experiment_name or _experiment_name(source)
        session_dir = Path(results_root).expanduser() / (
            session if re.fullmatch(r"[\w.-]+", session) and session.strip(".") else layout.slugify(session)
        )
        self.run_dir = layout.claim_run_dir(
            session_dir, run_id or layout.new_run_id(self.experiment_name, self.started_at)
        )
        self.run_id = self.run_dir.name
        if source is not None:
            shutil.copyfile(source, self.run_dir / layout.EXPERIMENT)
        self._versions = collect_versions(flink_version, playbooks_dir)
        write_json_atomic(self.run_dir / layout.VERSIONS, self._versions)
        self._meta: dict[str, Any] = {
            "run_id": self.run_id,
            "session": session,
            "experiment": self.experiment_name,
            "experiment_file": str(source) if source else None,
            "started_at": self.started_at,
            "ended_at": None,
            "status": "running",
        }
        write_json_atomic(self.run_dir / layout.RUN_META, self._meta)

        self._lock = threading.Lock()
        self._files: dict[str, IO[str]] = {}
        self._csv: dict[str, Any] = {}
        for name, columns in (
            (layout.METRICS_CSV, METRICS_COLUMNS),
            (layout.NODES_CSV, NODES_COLUMNS),
            (layout.LATENCY_CSV, LATENCY_COLUMNS),
            (layout.NODE_LATENCY_CSV, NODE_LATENCY_COLUMNS),
        ):
            f = self._open(name)
            self._csv[name] = csv.writer(f, lineterminator="\n")
            self._csv[name].writerow(list(columns))
        for _, name in JSONL_EVENTS:
            self._open(name)
        self._open(layout.EVENTS_LOG)
        self.counts: dict[str, int] = {"samples": 0, "events": 0}
        self._instances_seen: tuple[tuple[str, str, str], ...] = ()
        self._instances_at = 0.0
        self._closed = False
        self.flush()

        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self.record) if bus is not None else None
        self._stop = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_loop, args=(flush_interval_s,), name=f"results-flush-{self.run_id}", daemon=True
        )
        self._flusher.start()

    def _open(self, name: str) -> IO[str]:
        f = (self.run_dir / name).open("a", encoding="utf-8", newline="")
        self._files[name] = f
        return f

    def _flush_loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.flush()

    def flush(self) -> None:
        """Hand buffered lines to the OS: after this, a killed process loses nothing already recorded."""
        with self._lock:
            for f in self._files.values():
                if not f.closed:
                    f.flush()

    def record(self, event: Event) -> None:
        """Append one event to the files it belongs in; the EventBus handler."""
        with self._lock:
            if self._closed or isinstance(event, DecisionEvent) and event.in_progress:
                return  # a decision is recorded once, with its outcome
            self.counts["events"] += 1
            if isinstance(event, MetricsEvent):
                if isinstance(event.sample, JobSample):
                    self._record_sample(event.sample)
                return
            if isinstance(event, LatencyEvent):
                self._csv[layout.NODE_LATENCY_CSV].writerows(node_latency_rows(event.matrix, self.origin))
                return
            if isinstance(event, ClusterChanged):
                self._record_instances(event)
                return
            if isinstance(event, LocalClusterChanged) and event.flink_version and not self._versions["flink"]:
                # a live session records from the cluster's start, before Flink has said its version
                self._versions["flink"] = event.flink_version
                write_json_atomic(self.run_dir / layout.VERSIONS, self._versions)
            for kinds, name in JSONL_EVENTS:
                if isinstance(event, kinds):
                    self._files[name].write(event_json(event, self.origin) + "\n")
            self._files[layout.EVENTS_LOG].write(event_log_line(event) + "\n")

    def set_origin(self, ts: float) -> None:
        """The run began (cluster up, job submitted): `t_s` counts from here, as the experiment file's times do."""
        with self._lock:
            self._meta["origin"] = ts
            write_json_atomic(self.run_dir / layout.RUN_META, self._meta)
            if ts == self.origin or self._closed:
                return
            self.origin = ts
            # rows already written counted from the recorder's start: rewrite them onto the same timeline (t_s < 0
            # before the origin), so t_s never runs backwards in a file
            for name in (*layout.CSV_FILES, *(name for _, name in JSONL_EVENTS)):
                self._files[name].close()
                retime(self.run_dir / name, ts)
                f = self._open(name)
                if name in self._csv:
                    self._csv[name] = csv.writer(f, lineterminator="\n")

    def _record_instances(self, event: ClusterChanged) -> None:
        """Only changes (and a periodic refresh): the run loop republishes the same instances every few seconds."""
        seen = tuple((i.name, i.state, i.node) for i in event.instances)
        if seen == self._instances_seen and event.ts - self._instances_at < INSTANCES_EVERY_S and not event.message:
            return
        self._instances_seen, self._instances_at = seen, event.ts
        self._files[layout.STATE].write(event_json(event, self.origin) + "\n")

    def _record_sample(self, sample: JobSample) -> None:
        self.counts["samples"] += 1
        self._csv[layout.METRICS_CSV].writerows(metrics_rows(sample, self.origin))
        self._csv[layout.NODES_CSV].writerows(node_rows(sample, self.origin))
        self._csv[layout.LATENCY_CSV].writerows(latency_rows(sample, self.origin))

    def close(self, status: RunStatus = "done", *, report: bool = True, parquet: bool = True) -> Path:
        """Finish the run: stop listening, sync files, write Parquet copies, run.json and (by default) report.md."""
        with self._lock:
            if self._closed:
                return self.run_dir
            self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop.set()
        self._flusher.join(timeout=5)
        with self._lock:
            for f in self._files.values():
                f.flush()
                os.fsync(f.fileno())
                f.close()
        self._meta.update(
            ended_at=time.time(), status=status, samples=self.counts["samples"], events=self.counts["events"]
        )
        if parquet:
            from scaletui.results.parquet import write_parquet_copies

            try:
                self._meta["parquet"] = [p.name for p in write_parquet_copies(self.run_dir)]
            except Exception as e:  # the CSVs are the record; a Parquet failure must not lose the run's end
                log.exception("Parquet copies of %s failed", self.run_dir)
                self._meta["parquet_error"] = str(e)
        write_json_atomic(self.run_dir / layout.RUN_META, self._meta)
        if report:
            from scaletui.results.report import write_report

            write_report(self.run_dir)
        return self.run_dir

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close("done")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.close("interrupted")
        else:
            self.close("failed")


def _last_sample_ts(run_dir: Path) -> float | None:
    """The `ts` of the last whole row of metrics.csv."""
    row = last_metrics_row(run_dir)
    return float(row[0]) if row is not None else None


def close_interrupted(run_dir: Path | str) -> float | None:
    """Finish a run whose scaletui died (kill -9, power loss) as `close()` would have: run.json says interrupted and
    ends at the last recorded sample (or where it began), Parquet copies and report.md are written. Idempotent, so a
    recovery that was itself cut short is finished by the next one: a closed run without report.md gets it. Returns
    the run's end time, or None if run.json is missing."""
    run_dir = Path(run_dir)
    try:
        meta = json.loads((run_dir / layout.RUN_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    if meta.get("status") == "running":
        last = _last_sample_ts(run_dir)
        ended = last if last is not None else float(meta.get("origin") or meta.get("started_at") or time.time())
        meta.update(ended_at=ended, status="interrupted")
        try:
            from scaletui.results.parquet import write_parquet_copies

            meta["parquet"] = [p.name for p in write_parquet_copies(run_dir)]
        except Exception as e:
            log.exception("Parquet copies of %s failed", run_dir)
            meta["parquet_error"] = str(e)
        write_json_atomic(run_dir / layout.RUN_META, meta)
    if not (run_dir / layout.REPORT).is_file():
        try:
            from scaletui.results.report import write_report

            write_report(run_dir)
        except Exception:  # the run is closed either way; the next open or `scaletui report RUN_DIR` tries again
            log.exception("The report of interrupted run %s failed", run_dir)
    ended_at = meta.get("ended_at")
    return float(ended_at) if isinstance(ended_at, (int, float)) else None
