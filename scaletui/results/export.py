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
EXPORT_MARKER = layout.EXPORT_MARKER
_METADATA = (layout.RUN_META, layout.VERSIONS, layout.EXPERIMENT, layout.REPORT)


def _run_dir(run_dir: Path | str) -> Path:
    root = Path(run_dir).expanduser()
    if not root.is_dir() or not layout.is_run_dir(root):
        raise ConfigError(f"{root} is not a run's results directory.", "Give results/<session>/<run-id>.")
    return root


def _archive_path(root: Path, dest: Path | str | None) -> Path:
    out = Path(dest) if dest is not None else root.parent / f"{root.name}{ARCHIVE_SUFFIX}"
    return out / f"{root.name}{ARCHIVE_SUFFIX}" if out.is_dir() else out


def _parquet_path(root: Path, dest: Path | str | None) -> Path:
    return Path(dest) if dest is not None else root.parent / f"{root.name}-parquet"


def _refuse_run_dirs(targets: Sequence[tuple[Path, Path]]) -> None:
    """A target that is a run directory, lies inside one or holds one is refused before anything is written: an
    export among a run's files would mix with them, and --force, which empties a Parquet target, would remove them.
    """
    runs = {root.resolve() for root, _ in targets}
    for root, target in targets:
        where = target.resolve()
        inside = [p for p in where.parents if p in runs or layout.is_run_dir(p)]
        held = [r for r in runs if where in r.parents]
        if where.is_dir():
            held += [child for child in where.iterdir() if child.is_dir() and layout.is_run_dir(child)]
        if where in runs or layout.is_run_dir(where):
            what = f"{where} is a run's own directory"
        elif inside:
            what = f"{where} lies inside the run directory {inside[0]}"
        elif held:
            what = f"{where} holds the run directory {held[0]}"
        else:
            continue
        raise ConfigError(
            f"{what}: the export of run {root.name} would mix with a run's files, and --force could remove them.",
            "Give an --out outside every run directory, such as a new directory beside the session's "
            "(an export made before scaletui marked its exports is removed by hand).",
        )


def _refuse_existing(out: Path, root: Path, force: bool) -> None:
    """An export already at `out` is kept unless `force`: a second export of a run, perhaps re-reported since,
    must not replace the one sent or kept without a word."""
    if force or not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return
    raise ConfigError(
        f"{out} already exists: an earlier export of run {root.name} is kept.",
        "Remove it, give another --out, or add --force to replace it.",
    )


def export_archive(run_dir: Path | str, dest: Path | str | None = None, *, force: bool = False) -> Path:
    """`<run-id>.tar.gz` holding the run directory under its id (temporary files left out)."""
    root = _run_dir(run_dir)
    out = _archive_path(root, dest)
    _refuse_run_dirs([(root, out)])
    _refuse_existing(out, root, force)
    return _write_archive(root, out)


def _write_archive(root: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(root, arcname=root.name, filter=lambda info: None if Path(info.name).name.startswith(".") else info)
    return out


def export_parquet(run_dir: Path | str, dest: Path | str | None = None, *, force: bool = False) -> Path:
    """A directory of typed Parquet tables (metrics, nodes, latency, decisions, faults, stages, actuations).

    The run's metadata files come along, so the set stands alone: `pandas.read_parquet(dir / "metrics.parquet")`.
    """
    root = _run_dir(run_dir)
    out = _parquet_path(root, dest)
    _refuse_run_dirs([(root, out)])
    _refuse_existing(out, root, force)
    return _write_parquet(root, out)


def _write_parquet(root: Path, out: Path) -> Path:
    """Into `out` emptied first: a replaced export keeps no table of the one before (a run re-reported since).
    Only a directory marked as an export is emptied; the marker is written before the tables, so an export cut
    short can be replaced too."""
    from scaletui.results.parquet import empty_event_table, jsonl_to_parquet, write_parquet_copies
    from scaletui.results.recorder import JSONL_EVENTS

    if out.is_dir() and any(out.iterdir()):
        if not layout.is_export(out):
            raise ConfigError(f"{out} holds files but no export of a run: it is not replaced.", "Give another --out.")
        shutil.rmtree(out)
    elif out.exists() and not out.is_dir():
        out.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / EXPORT_MARKER).write_text("A Parquet export of a run by scaletui export; --force may replace it.\n")
    write_parquet_copies(root, out)
    for kinds, name in JSONL_EVENTS:
        table = out / name.replace(".jsonl", ".parquet")
        if not (root / name).is_file() or jsonl_to_parquet(root / name, table) is None:
            empty_event_table(kinds, table)
    for name in _METADATA:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    return out


def _targets(run_dirs: Sequence[Path], fmt: ExportFormat, out: Path | str | None) -> list[tuple[Path, Path]]:
    """Each run directory and where its export goes. One rule for `--out`, however many runs, so a script knows
    where each lands: a directory (created) that receives `<run-id>.tar.gz` or `<run-id>/` (Parquet) per run; a path
    ending .tar.gz names the one run's archive. Without `out`, each lands beside its run directory."""
    roots = [_run_dir(run_dir) for run_dir in run_dirs]
    place = _archive_path if fmt == "archive" else _parquet_path
    if out is None:
        return [(root, place(root, None)) for root in roots]
    dest = Path(out).expanduser()
    if dest.name.endswith(ARCHIVE_SUFFIX):
        if fmt != "archive" or len(roots) != 1:
            what = "a Parquet set" if fmt != "archive" else f"{len(roots)} runs"
            raise ConfigError(
                f"--out {dest} names one archive, but the export is {what}.",
                "Give a directory: each run is written into it as <run-id>.tar.gz (or <run-id>/ for Parquet).",
            )
        return [(roots[0], place(roots[0], dest))]
    if dest.exists() and not dest.is_dir():
        raise ConfigError(
            f"--out {dest} is a file; it must be a directory (or a path ending {ARCHIVE_SUFFIX} for one run).",
            "Give a directory: each run is written into it as <run-id>.tar.gz (or <run-id>/ for Parquet).",
        )
    suffix = ARCHIVE_SUFFIX if fmt == "archive" else ""
    return [(root, place(root, dest / f"{root.name}{suffix}")) for root in roots]


def export_runs(
    run_dirs: Sequence[Path], fmt: ExportFormat = "archive", out: Path | str | None = None, *, force: bool = False
) -> list[Path]:
    """Each run exported as `_targets` places it; an export already there is refused (unless `force`, which
    replaces it) before any is written, so a refused command leaves nothing half done."""
    targets = _targets(run_dirs, fmt, out)
    _refuse_run_dirs(targets)
    for root, dest in targets:
        _refuse_existing(dest, root, force)
    write = _write_archive if fmt == "archive" else _write_parquet
    return [write(root, dest) for root, dest in targets]
