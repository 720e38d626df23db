"""Export a run: one archive to send or keep, or a set of Parquet tables a notebook opens directly."""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from scaletui.errors import ConfigError
from scaletui.results import layout

ExportFormat = Literal["archive", "parquet"]
ARCHIVE_SUFFIX = ".tar.gz"
_METADATA = (layout.RUN_META, layout.VERSIONS, layout.EXPERIMENT, layout.REPORT)


def _run_dir(run_dir: Path | str) -> Path:
    root = Path(run_dir).expanduser()
    if not root.is_dir() or not layout.is_run_dir(root):
        raise ConfigError(f"{root} is not a run's results directory.", "Give results/<session>/<run-id>.")
    return root


def export_archive(run_dir: Path | str, dest: Path | str | None = None) -> Path:
    """`<run-id>.tar.gz` holding the run directory under its id (temporary files left out)."""
    root = _run_dir(run_dir)
    out = Path(dest) if dest is not None else root.parent / f"{root.name}.tar.gz"
    if out.is_dir():
        out = out / f"{root.name}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(root, arcname=root.name, filter=lambda info: None if Path(info.name).name.startswith(".") else info)
    return out


def export_parquet(run_dir: Path | str, dest: Path | str | None = None) -> Path:
    """A directory of typed Parquet tables (metrics, nodes, latency, decisions, faults, stages, actuations).

    The run's metadata files come along, so the set stands alone: `pandas.read_parquet(dir / "metrics.parquet")`.
    """
    from scaletui.results.parquet import empty_event_table, jsonl_to_parquet, write_parquet_copies
    from scaletui.results.recorder import JSONL_EVENTS

    root = _run_dir(run_dir)
    out = Path(dest) if dest is not None else root.parent / f"{root.name}-parquet"
    out.mkdir(parents=True, exist_ok=True)
    write_parquet_copies(root, out)
    for kinds, name in JSONL_EVENTS:
        table = out / name.replace(".jsonl", ".parquet")
        if not (root / name).is_file() or jsonl_to_parquet(root / name, table) is None:
            empty_event_table(kinds, table)
    for name in _METADATA:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    return out


def export_run(run_dir: Path | str, fmt: ExportFormat = "archive", dest: Path | str | None = None) -> Path:
    return export_archive(run_dir, dest) if fmt == "archive" else export_parquet(run_dir, dest)


def export_runs(run_dirs: Sequence[Path], fmt: ExportFormat = "archive", out: Path | str | None = None) -> list[Path]:
    """One rule for `--out`, however many runs, so a script knows where each lands: a directory (created) that
    receives `<run-id>.tar.gz` or `<run-id>/` (Parquet) per run; a path ending .tar.gz names the one run's archive.
    Without `out`, each lands beside its run directory."""
    if out is None:
        return [export_run(run_dir, fmt) for run_dir in run_dirs]
    dest = Path(out).expanduser()
    if dest.name.endswith(ARCHIVE_SUFFIX):
        if fmt != "archive" or len(run_dirs) != 1:
            what = "a Parquet set" if fmt != "archive" else f"{len(run_dirs)} runs"
            raise ConfigError(
                f"--out {dest} names one archive, but the export is {what}.",
                "Give a directory: each run is written into it as <run-id>.tar.gz (or <run-id>/ for Parquet).",
            )
        return [export_archive(run_dirs[0], dest)]
    if dest.exists() and not dest.is_dir():
        raise ConfigError(
            f"--out {dest} is a file; it must be a directory (or a path ending {ARCHIVE_SUFFIX} for one run).",
            "Give a directory: each run is written into it as <run-id>.tar.gz (or <run-id>/ for Parquet).",
        )
    dest.mkdir(parents=True, exist_ok=True)
    return [
        export_archive(run_dir, dest / f"{run_dir.name}{ARCHIVE_SUFFIX}")
        if fmt == "archive"
        else export_parquet(run_dir, dest / run_dir.name)
        for run_dir in run_dirs
    ]
