"""Parquet copies of a run's tables, typed, for notebooks (pandas.read_parquet, polars, duckdb).

Only reached when a run closes or is exported, so pyarrow is imported here, inside the functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scaletui.results import layout
from scaletui.results.records import LATENCY_COLUMNS, METRICS_COLUMNS, NODE_LATENCY_COLUMNS, NODES_COLUMNS

_COLUMNS = {
    layout.METRICS_CSV: METRICS_COLUMNS,
    layout.NODES_CSV: NODES_COLUMNS,
    layout.LATENCY_CSV: LATENCY_COLUMNS,
    layout.NODE_LATENCY_CSV: NODE_LATENCY_COLUMNS,
}


def csv_to_parquet(src: Path, dest: Path, columns: dict[str, str]) -> Path:
    """Convert one of the run's CSVs with its declared column types; empty cells become nulls."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    types = {name: (pa.string() if kind == "string" else pa.type_for_alias(kind)) for name, kind in columns.items()}
    # Booleans are written 0/1; read them as integers, then cast.
    read_types = {name: (pa.int8() if t == pa.bool_() else t) for name, t in types.items()}
    table = pacsv.read_csv(
        src,
        convert_options=pacsv.ConvertOptions(column_types=read_types, strings_can_be_null=True),
    )
    table = table.cast(pa.schema([(name, types[name]) for name in table.column_names]))
    pq.write_table(table, dest)
    return dest


def write_parquet_copies(run_dir: Path, dest_dir: Path | None = None) -> list[Path]:
    """metrics/nodes/latency .parquet next to the CSVs (or in `dest_dir`)."""
    out = dest_dir or run_dir
    written = []
    for name, columns in _COLUMNS.items():
        src = run_dir / name
        if src.is_file():
            written.append(csv_to_parquet(src, out / name.replace(".csv", ".parquet"), columns))
    return written


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """Nested values (parallelism maps, inputs, targets) as JSON text: one column each, any shape."""
    return {k: (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v) for k, v in record.items()}


def jsonl_to_parquet(src: Path, dest: Path) -> Path | None:
    """One JSON Lines event file as a table; None when it holds no complete line."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for line in src.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(_flat(json.loads(line)))
        except json.JSONDecodeError:  # a line cut short by a crash
            continue
    if not rows:
        return None
    columns: dict[str, list[Any]] = {}
    for key in dict.fromkeys(k for row in rows for k in row):
        values = [row.get(key) for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            values = [None if v is None else str(v) for v in values]
        columns[key] = values
    pq.write_table(pa.table(columns), dest)
    return dest


def empty_event_table(kinds: tuple[type, ...], dest: Path) -> Path:
    """A table with no rows whose columns are those the events would have, typed where the field is a plain float,
    int, bool or str (text otherwise): a run without faults still has a faults.parquet a notebook can read, filter
    and concatenate with other runs'."""
    import dataclasses

    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}
    columns = {"type": pa.string()}
    for kind in kinds:
        for f in dataclasses.fields(kind):
            columns.setdefault(f.name, plain.get(str(f.type), pa.string()))
    columns["t_s"] = pa.float64()
    pq.write_table(pa.table({name: pa.array([], kind) for name, kind in columns.items()}), dest)
    return dest
