"""Recorded usage traces, one series per node, for the offline mode and the benchmark.

Three shapes are read:
- CSV, one row per node and time: `ts,node,cpu_cores,memory_bytes` and optionally `cpu_total,memory_total,
  booked_cpu,booked_memory` (an empty cell is a missing value; other columns are ignored). This is what
  `write_csv` writes and what a run's results/<session>/<run-id>/nodes.csv holds, so a run replays as is
  (its directory may be given instead of the file).
- scaletui JSON: `{"nodes": {"<node>": {"ts": [...], "cpu_cores": [...], "memory_bytes": [...],
  "cpu_total": 8, "memory_total": 17179869184, "booked_cpu": 4, "booked_memory": 8589934592}}}`.
- a ScroogeVM dump: `{"config": {"node_name": ...}, "node": {"raw_data": [{"time": [...], "cpu": [...],
  "mem": [...], "cpu_usage": [...], "mem_usage": [...]}, ...]}, "vm": {...}}`, memory in MB as its probe writes it.
Every problem is one ConfigError sentence naming the file and what is wrong in it.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaletui.errors import ConfigError

CSV_COLUMNS = ("ts", "node", "cpu_cores", "memory_bytes", "cpu_total", "memory_total", "booked_cpu", "booked_memory")
_REQUIRED = CSV_COLUMNS[:4]
_HINT = "See scaletui/capacity/traces.py for the accepted CSV and JSON shapes."
_MB = 1_000_000
RUN_NODES_CSV = "nodes.csv"


@dataclass(frozen=True)
class NodeSeries:
    """Samples of one node in time order; sizes and bookings are the last value the trace gave."""

    node: str
    ts: tuple[float, ...]
    cpu: tuple[float | None, ...]
    memory: tuple[float | None, ...]
    cpu_total: float | None = None
    memory_total: float | None = None
    booked_cpu: float | None = None
    booked_memory: float | None = None


@dataclass(frozen=True)
class Trace:
    source: str
    nodes: dict[str, NodeSeries]


class _Bad(Exception):
    """What is wrong inside the file; turned into one ConfigError naming the file."""


def _number(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise _Bad(f"{where} is {value!r}, expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Bad(f"{where} is {value!r}, expected a number") from None
    if not math.isfinite(number) or number < 0:
        raise _Bad(f"{where} is {value!r}, expected a number that is not negative")
    return number


def _series(
    node: str,
    rows: list[tuple[float, float | None, float | None]],
    cpu_total: float | None,
    memory_total: float | None,
    booked_cpu: float | None,
    booked_memory: float | None,
) -> NodeSeries:
    if not rows:
        raise _Bad(f"node {node!r} has no samples")
    if cpu_total is None and memory_total is None:
        raise _Bad(f"node {node!r} gives neither cpu_total nor memory_total, so its size is unknown")
    rows.sort(key=lambda r: r[0])
    return NodeSeries(
        node,
        tuple(r[0] for r in rows),
        tuple(r[1] for r in rows),
        tuple(r[2] for r in rows),
        cpu_total,
        memory_total,
        booked_cpu,
        booked_memory,
    )


def _read_csv(text: str) -> dict[str, NodeSeries]:
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise _Bad(f"the CSV header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    rows: dict[str, list[tuple[float, float | None, float | None]]] = {}
    last: dict[str, dict[str, float | None]] = {}
    for line, record in enumerate(reader, start=2):
        node = (record.get("node") or "").strip()
        if not node:
            raise _Bad(f"line {line} has an empty node")
        ts = _number(record.get("ts"), f"ts on line {line}")
        if ts is None:
            raise _Bad(f"line {line} has an empty ts")
        cpu = _number(record.get("cpu_cores"), f"cpu_cores on line {line}")
        memory = _number(record.get("memory_bytes"), f"memory_bytes on line {line}")
        rows.setdefault(node, []).append((ts, cpu, memory))
        known = last.setdefault(node, {})
        for column in CSV_COLUMNS[4:]:
            value = _number(record.get(column), f"{column} on line {line}") if column in header else None
            if value is not None:
                known[column] = value
    if not rows:
        raise _Bad("it has a header but no samples")
    return {
        node: _series(
            node,
            samples,
            last[node].get("cpu_total"),
            last[node].get("memory_total"),
            last[node].get("booked_cpu"),
            last[node].get("booked_memory"),
        )
        for node, samples in rows.items()
    }


def _list(obj: dict, key: str, where: str) -> list:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise _Bad(f"{where}.{key} is {type(value).__name__}, expected a list")
    return value


def _read_scaletui_json(data: dict) -> dict[str, NodeSeries]:
    nodes = data["nodes"]
    if not isinstance(nodes, dict) or not nodes:
        raise _Bad("nodes must be a table of at least one node")
    out = {}
    for node, body in nodes.items():
        where = f"nodes.{node}"
        if not isinstance(body, dict):
            raise _Bad(f"{where} is {type(body).__name__}, expected an object")
        ts, cpu, memory = (_list(body, k, where) for k in ("ts", "cpu_cores", "memory_bytes"))
        for key, values in (("cpu_cores", cpu), ("memory_bytes", memory)):
            if values and len(values) != len(ts):
                raise _Bad(f"{where}.{key} has {len(values)} values but ts has {len(ts)}")
        rows = []
        for i, t in enumerate(ts):
            stamp = _number(t, f"{where}.ts[{i}]")
            if stamp is None:
                raise _Bad(f"{where}.ts[{i}] is empty")
            rows.append(
                (
                    stamp,
                    _number(cpu[i], f"{where}.cpu_cores[{i}]") if cpu else None,
                    _number(memory[i], f"{where}.memory_bytes[{i}]") if memory else None,
                )
            )
        out[node] = _series(
            node,
            rows,
            *(
                _number(body.get(k), f"{where}.{k}")
                for k in ("cpu_total", "memory_total", "booked_cpu", "booked_memory")
            ),
        )
    return out


def _last_number(values: Any, where: str) -> float | None:
    if isinstance(values, list) and values:
        return _number(values[-1], where)
    return None


def _read_scroogevm(data: dict) -> dict[str, NodeSeries]:
    config, node = data["config"], data["node"]
    if not isinstance(config, dict) or not isinstance(node, dict):
        raise _Bad("config and node must be objects in a ScroogeVM dump")
    name = str(config.get("node_name") or "node")
    scopes = _list(node, "raw_data", "node")
    rows: list[tuple[float, float | None, float | None]] = []
    cpu_total = memory_total = None
    for i, raw in enumerate(scopes):
        where = f"node.raw_data[{i}]"
        if not isinstance(raw, dict):
            raise _Bad(f"{where} is {type(raw).__name__}, expected an object")
        times, cpu, memory = (_list(raw, k, where) for k in ("time", "cpu_usage", "mem_usage"))
        for key, values in (("cpu_usage", cpu), ("mem_usage", memory)):
            if values and len(values) != len(times):
                raise _Bad(f"{where}.{key} has {len(values)} values but time has {len(times)}")
        for j, t in enumerate(times):
            stamp = _number(t, f"{where}.time[{j}]")
            if stamp is None:
                raise _Bad(f"{where}.time[{j}] is empty")
            mem = _number(memory[j], f"{where}.mem_usage[{j}]") if memory else None
            rows.append(
                (
                    stamp,
                    _number(cpu[j], f"{where}.cpu_usage[{j}]") if cpu else None,
                    mem * _MB if mem is not None else None,
                )
            )
        cpu_total = _last_number(raw.get("cpu"), f"{where}.cpu") or cpu_total
        mem_config = _last_number(raw.get("mem"), f"{where}.mem")
        memory_total = mem_config * _MB if mem_config else memory_total
    booked_cpu, booked_memory = _scroogevm_booked(data.get("vm"))
    return {name: _series(name, rows, cpu_total, memory_total, booked_cpu, booked_memory)}


def _scroogevm_booked(vms: Any) -> tuple[float | None, float | None]:
    """What the VMs of the last scope booked: the sum of each VM's last allocation, as ScroogeVM counts it."""
    if not isinstance(vms, dict) or not vms:
        return None, None
    cpu = memory = 0.0
    for name, vm in vms.items():
        raw = vm.get("raw_data") if isinstance(vm, dict) else None
        if not isinstance(raw, list) or not raw or not isinstance(raw[-1], dict):
            continue
        cpu += _last_number(raw[-1].get("cpu"), f"vm.{name}.cpu") or 0.0
        memory += (_last_number(raw[-1].get("mem"), f"vm.{name}.mem") or 0.0) * _MB
    return cpu, memory


def _read_json(text: str) -> dict[str, NodeSeries]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _Bad(f"it is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    if isinstance(data, dict) and "nodes" in data:
        return _read_scaletui_json(data)
    if isinstance(data, dict) and "config" in data and "node" in data:
        return _read_scroogevm(data)
    raise _Bad('its JSON is neither a scaletui trace (a "nodes" object) nor a ScroogeVM dump ("config" and "node")')


def load_trace(path: Path | str) -> Trace:
    """Read a CSV or JSON trace (chosen by the file's suffix), or a run directory's nodes.csv; else one ConfigError
    naming the file."""
    path = Path(path)
    if path.is_dir():
        if not (path / RUN_NODES_CSV).is_file():
            raise ConfigError(
                f"{path}: a directory without {RUN_NODES_CSV}, so not a run's results.",
                "Give a trace file or a run directory: results/<session>/<run-id>.",
            )
        path = path / RUN_NODES_CSV
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such trace file.", "Check the path.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the trace is not UTF-8 text.", _HINT) from None
    except OSError as e:
        raise ConfigError(f"{path}: the trace cannot be read ({e.strerror}).") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            nodes = _read_csv(text)
        elif suffix == ".json":
            nodes = _read_json(text)
        else:
            raise _Bad(f"its suffix {suffix or '(none)'!r} is neither .csv nor .json")
    except _Bad as e:
        raise ConfigError(f"{path}: not a usable trace: {e}.", _HINT) from None
    return Trace(str(path), nodes)


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def write_csv(trace: Trace, path: Path | str) -> Path:
    """Write a trace in the CSV shape `load_trace` reads (sizes and bookings repeated on every row)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for series in trace.nodes.values():
            fixed = [_cell(v) for v in (series.cpu_total, series.memory_total, series.booked_cpu, series.booked_memory)]
            for ts, cpu, memory in zip(series.ts, series.cpu, series.memory, strict=True):
                writer.writerow([repr(ts), series.node, _cell(cpu), _cell(memory), *fixed])
    return path
