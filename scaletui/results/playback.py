"""A recorded run read back as the events it was made of: samples, decisions, faults, actuations, state.

Replay publishes these on a bus of its own so the same panes show the run again; a reopened session loads the
last hour of its last live run the same way. Rows and lines that cannot be read are skipped (a run killed
mid-line leaves a partial last line), never guessed.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from scaletui.cluster.base import Instance, JobInfo, OperatorInfo
from scaletui.events import (
    ActuationEvent,
    ClusterChanged,
    DecisionEvent,
    Event,
    FaultEvent,
    JobChanged,
    LatencyEvent,
    LoadChanged,
    MetricsEvent,
    StepTaken,
    StrategyChanged,
)
from scaletui.latency.matrix import LatencyMatrix
from scaletui.metrics.model import JobSample, NodeSample, OperatorSample
from scaletui.results import layout
from scaletui.results.records import is_operator

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        DecisionEvent,
        FaultEvent,
        ActuationEvent,
        JobChanged,
        StrategyChanged,
        LoadChanged,
        ClusterChanged,
        StepTaken,
    )
}


def _num(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    value = _num(text)
    return None if value is None else int(value)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def read_samples(run_dir: Path, since: float | None = None) -> list[JobSample]:
    """Every sample of metrics.csv (with latency.csv and nodes.csv), oldest first; from `since` (epoch s) on."""
    latency: dict[float, dict[str, float | None]] = {}
    for row in _rows(run_dir / layout.LATENCY_CSV):
        ts = _num(row.get("ts"))
        if ts is not None and row.get("stat"):
            latency.setdefault(ts, {})[row["stat"]] = _num(row.get("latency_ms"))
    nodes: dict[float, dict[str, NodeSample]] = {}
    for row in _rows(run_dir / layout.NODES_CSV):
        ts = _num(row.get("ts"))
        if ts is not None and row.get("node"):
            nodes.setdefault(ts, {})[row["node"]] = NodeSample(
                row["node"], _num(row.get("cpu_cores")), _num(row.get("cpu_total")),
                _int(row.get("memory_bytes")), _int(row.get("memory_total")),
            )  # fmt: skip
    grouped: dict[float, list[dict[str, str]]] = {}
    for row in _rows(run_dir / layout.METRICS_CSV):
        ts = _num(row.get("ts"))
        if ts is not None and (since is None or ts >= since):
            grouped.setdefault(ts, []).append(row)
    samples = []
    for ts in sorted(grouped):
        rows = grouped[ts]
        first = rows[0]
        operators = {
            r["operator"]: OperatorSample(
                name=r["operator"],
                parallelism=_int(r.get("parallelism")) or 1,
                max_parallelism=_int(r.get("max_parallelism")) or 1,
                records_in_per_s=_num(r.get("records_in_per_s")),
                records_out_per_s=_num(r.get("records_out_per_s")),
                busy_ms_per_s=_num(r.get("busy_ms_per_s")),
                backpressured_ms_per_s=_num(r.get("backpressured_ms_per_s")),
                idle_ms_per_s=_num(r.get("idle_ms_per_s")),
                is_source=r.get("is_source") == "1",
            )
            for r in rows
            if is_operator(r.get("operator"))
        }
        samples.append(
            JobSample(
                ts=ts,
                operators=operators,
                target_rate=_num(first.get("target_rate")),
                achieved_rate=_num(first.get("achieved_rate")),
                backlog=_num(first.get("backlog")),
                latency_ms=latency.get(ts, {}),
                taskmanagers=_int(first.get("taskmanagers")),
                total_slots=_int(first.get("total_slots")),
                free_slots=_int(first.get("free_slots")),
                nodes=nodes.get(ts, {}),
                stale=first.get("stale") == "1",
            )
        )
    return samples


def event_of(record: dict[str, Any]) -> Event | None:
    """A recorded line as the event it was (None for a type this version does not know)."""
    cls = EVENT_TYPES.get(str(record.get("type")))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    fields = {k: v for k, v in record.items() if k in names}
    if cls is ClusterChanged:
        fields["instances"] = tuple(Instance(**i) for i in fields.get("instances", ()))
    elif cls is JobChanged and isinstance(fields.get("info"), dict):
        info = fields["info"]
        ops = tuple(OperatorInfo(**o) for o in info.get("operators", ()))
        fields["info"] = JobInfo(info["job_id"], info["name"], info["state"], ops)
    elif cls is FaultEvent:
        fields["targets"] = tuple(fields.get("targets", ()))
    return cls(**fields)


def events_of(records: Iterable[dict[str, Any]], kind: type[E]) -> list[E]:
    """Records of one event type (rundata's dicts) as events; a record this version cannot read is left out."""
    out: list[E] = []
    for record in records:
        try:
            event = event_of({**record, "type": kind.__name__})
        except (ValueError, TypeError, KeyError):
            continue
        if isinstance(event, kind):
            out.append(event)
    return out


def read_events(run_dir: Path, since: float | None = None) -> list[Event]:
    """Decisions, faults, actuations and state changes of the run, oldest first."""
    out: list[Event] = []
    for name in (layout.DECISIONS, layout.FAULTS, layout.ACTUATIONS, layout.STATE):
        path = run_dir / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = event_of(json.loads(line))
            except (ValueError, TypeError, KeyError):
                log.warning("%s: skipped a line that is not a recorded event", path)
                continue
            if event is not None and (since is None or event.ts >= since):
                out.append(event)
    return sorted(out, key=lambda e: e.ts)


def read_latency(run_dir: Path, since: float | None = None) -> list[LatencyEvent]:
    """The node-to-node latency matrices of the run, one event per measurement."""
    by_ts: dict[float, list[dict[str, str]]] = {}
    for row in _rows(run_dir / layout.NODE_LATENCY_CSV):
        ts = _num(row.get("ts"))
        if ts is not None and (since is None or ts >= since):
            by_ts.setdefault(ts, []).append(row)
    out = []
    for ts in sorted(by_ts):
        rows = by_ts[ts]
        nodes = tuple(sorted({r["a"] for r in rows} | {r["b"] for r in rows}))
        rtt = {(r["a"], r["b"]): v for r in rows if (v := _num(r.get("rtt_ms"))) is not None}
        out.append(LatencyEvent(ts=ts, source="latency", matrix=LatencyMatrix(nodes, rtt, ts, rows[0]["source"])))
    return out


def recorded_timeline(run_dir: Path, since: float | None = None) -> list[Event]:
    """Everything the panes showed during the run, as events in time order (samples as MetricsEvents)."""
    samples: list[Event] = [MetricsEvent(ts=s.ts, source="metrics", sample=s) for s in read_samples(run_dir, since)]
    merged = samples + read_events(run_dir, since) + list(read_latency(run_dir, since))
    return sorted(merged, key=lambda e: e.ts)
