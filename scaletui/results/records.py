"""How samples and events become rows and lines: the columns of the CSVs and the JSON of each event.

The CSVs are long tables a notebook reads as is: one row per time step and operator (metrics), per step and node
(nodes), per step and latency statistic (latency). An empty cell is a missing value, never zero.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from scaletui.events import Event, MetricsEvent
from scaletui.metrics.model import JobSample

# column name -> Arrow type name, in file order; strings so this module needs no pyarrow.
METRICS_COLUMNS: dict[str, str] = {
    "ts": "float64",
    "t_s": "float64",
    "operator": "string",
    "parallelism": "int64",
    "max_parallelism": "int64",
    "records_in_per_s": "float64",
    "records_out_per_s": "float64",
    "busy_ms_per_s": "float64",
    "backpressured_ms_per_s": "float64",
    "idle_ms_per_s": "float64",
    "is_source": "bool",
    "target_rate": "float64",
    "achieved_rate": "float64",
    "backlog": "float64",
    "taskmanagers": "int64",
    "total_slots": "int64",
    "free_slots": "int64",
    "stale": "bool",
}
NODES_COLUMNS: dict[str, str] = {
    "ts": "float64",
    "t_s": "float64",
    "node": "string",
    "cpu_cores": "float64",
    "cpu_total": "float64",
    "memory_bytes": "int64",
    "memory_total": "int64",
}
LATENCY_COLUMNS: dict[str, str] = {"ts": "float64", "t_s": "float64", "stat": "string", "latency_ms": "float64"}
NODE_LATENCY_COLUMNS: dict[str, str] = {
    "ts": "float64",
    "t_s": "float64",
    "source": "string",
    "a": "string",
    "b": "string",
    "rtt_ms": "float64",
}
JOB_ROW = "(job)"
"""metrics.csv's `operator` on a step that measured no operator (before the job ran, t_s < 0, or while it
restarts): the row holds only the job-level columns, and a notebook's group-by gets a named group, not a NaN."""


def is_operator(name: str | None) -> bool:
    """Whether a metrics row's `operator` names one (runs recorded before JOB_ROW left it empty)."""
    return bool(name) and name != JOB_ROW


def cell(value: Any) -> Any:
    """CSV cell: None and NaN become empty, booleans 0/1 so every reader agrees."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


def metrics_rows(sample: JobSample, start: float) -> list[list[Any]]:
    """One row per operator; a sample with no operators (no job yet, or one restarting) still gets one row for its
    job values, labelled JOB_ROW."""
    job = [
        sample.target_rate,
        sample.achieved_rate,
        sample.backlog,
        sample.taskmanagers,
        sample.total_slots,
        sample.free_slots,
        sample.stale,
    ]
    head = [sample.ts, round(sample.ts - start, 3)]
    if not sample.operators:
        return [[cell(v) for v in head + [JOB_ROW] + [None] * (len(METRICS_COLUMNS) - 3 - len(job)) + job]]
    rows = []
    for name, op in sample.operators.items():
        values = [
            name,
            op.parallelism,
            op.max_parallelism,
            op.records_in_per_s,
            op.records_out_per_s,
            op.busy_ms_per_s,
            op.backpressured_ms_per_s,
            op.idle_ms_per_s,
            op.is_source,
        ]
        rows.append([cell(v) for v in head + values + job])
    return rows


def node_rows(sample: JobSample, start: float) -> list[list[Any]]:
    head = [sample.ts, round(sample.ts - start, 3)]
    return [
        [cell(v) for v in head + [name, n.cpu_cores, n.cpu_total, n.memory_bytes, n.memory_total]]
        for name, n in sample.nodes.items()
    ]


def latency_rows(sample: JobSample, start: float) -> list[list[Any]]:
    """Only measured statistics: a missing latency is left out rather than written as a number."""
    head = [sample.ts, round(sample.ts - start, 3)]
    return [[cell(v) for v in head + [stat, value]] for stat, value in sample.latency_ms.items() if value is not None]


def node_latency_rows(matrix: Any, start: float) -> list[list[Any]]:
    """One row per node pair of a `latency.matrix.LatencyMatrix`; an unmeasured pair is left out."""
    return [
        [cell(v) for v in (r["ts"], round(float(r["ts"]) - start, 3), r["source"], r["a"], r["b"], r["rtt_ms"])]
        for r in matrix.records()
        if r["rtt_ms"] is not None
    ]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def event_record(event: Event) -> dict[str, Any]:
    """The event as a JSON object with its class name under `type` (a MetricsEvent's sample and the fields marked
    transient, meant for live subscribers, are left out)."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if not f.metadata.get("transient")}
    if isinstance(event, MetricsEvent):
        fields.pop("sample", None)
    return {"type": type(event).__name__, **{k: _plain(v) for k, v in fields.items()}}


def event_json(event: Event, start: float) -> str:
    """One JSON line; `t_s` (seconds since the run's origin, when its load began) sits beside `ts` so notebooks can
    align events."""
    record = event_record(event)
    record["t_s"] = round(event.ts - start, 3)
    return json.dumps(record, separators=(",", ":"))


def retime(path: Path, origin: float) -> None:
    """Rewrite the `t_s` of every row or line already in a CSV or JSON Lines file to count from `origin` (their
    `ts` stays): rows written before the run knew its origin join the same timeline. Atomic (temp file + rename),
    so a crash leaves either the old file or the new one."""
    tmp = path.with_name(f".{path.name}.retime")
    with path.open(encoding="utf-8", newline="") as src, tmp.open("w", encoding="utf-8", newline="") as dst:
        if path.suffix == ".csv":
            reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
            header = next(reader, None)
            if header is not None:
                writer.writerow(header)
                at, t_at = header.index("ts"), header.index("t_s")
                for row in reader:
                    if len(row) > max(at, t_at) and row[at]:
                        row[t_at] = str(round(float(row[at]) - origin, 3))
                    writer.writerow(row)
        else:
            for line in src:
                try:
                    record = json.loads(line)
                except ValueError:  # a torn last line of a killed run: kept as it is
                    dst.write(line)
                    continue
                if isinstance(record, dict) and isinstance(record.get("ts"), (int, float)) and "t_s" in record:
                    record["t_s"] = round(record["ts"] - origin, 3)
                dst.write(json.dumps(record, separators=(",", ":")) + "\n")
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)


def event_log_line(event: Event) -> str:
    """`2026-11-23T00:56:01.123Z Notice engine: message` — one line a person can grep."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event.ts)) + f".{int(event.ts % 1 * 1000):03d}Z"
    record = event_record(event)
    for key in ("type", "ts", "source"):
        record.pop(key, None)
    text = record.pop("message", "") or ""
    rest = " ".join(
        f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in record.items() if v not in ("", None, {}, [])
    )
    body = " ".join(part for part in (str(text).replace("\n", " "), rest) if part)
    return f"{stamp} {type(event).__name__} {event.source}: {body}"
