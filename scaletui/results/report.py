"""report.md and plots/*.png of a run, rebuilt from its directory alone (so `scaletui report DIR` can redo it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scaletui.config.models import SloSpec
from scaletui.events import DecisionEvent
from scaletui.results import layout
from scaletui.results.decision_rows import entries
from scaletui.results.markdown import cell
from scaletui.results.playback import events_of
from scaletui.results.plots import plot_run
from scaletui.results.rundata import RunData, load_run
from scaletui.results.summary import DEFINITIONS, RunSummary, summarize, summary_table
from scaletui.results.timeline import dry_run_spans, timeline_section

MAX_DECISION_ROWS = 50
MAX_PROBLEM_ROWS = 20
"""The Problems section opens the report: its first errors, the rest in errors.jsonl, so it stays a heading's read."""


def _when(ts: object) -> str:
    if not isinstance(ts, (int, float)):
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def _header(data: RunData) -> list[str]:
    versions = data.versions
    playbooks = versions.get("playbooks") or {}
    commit = playbooks.get("commit", "")[:12] + (" (dirty)" if playbooks.get("dirty") else "") if playbooks else "—"
    lines = [
        f"# Run {data.run_id}",
        "",
        f"- experiment: **{data.name}**, strategy: **{data.strategy}**, status: **{data.status}**",
        f"- started {_when(data.meta.get('started_at'))}, ended {_when(data.meta.get('ended_at'))}",
        f"- scaletui {versions.get('scaletui', '?')}, Flink {versions.get('flink') or '—'}, playbooks {commit}",
    ]
    if data.status == "running":
        lines += ["", "> The recorder did not close (the run was cut short): this report covers what was recorded."]
    return lines


def _faults(data: RunData) -> list[str]:
    windows = data.fault_windows()
    if not windows:
        return []
    head = "| fault | kind | targets | parameters | from (s) | to (s) |"
    lines = ["", "## Faults", "", head, "|---|---|---|---|---|---|"]
    lines += [
        f"| {cell(w.fault_id, 24)} | {w.kind} | {cell(', '.join(w.targets), 40)} | {cell(_params(w.params), 60)} "
        f"| {w.start - data.start:.1f} | {w.end - data.start:.1f} |"
        for w in windows
    ]
    return lines


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if v is not None and v != "") or "-"


def _problems(data: RunData) -> list[str]:
    """Errors said during the run, first thing after the header: a timeline step that failed means the run did not
    go as its file says (a partition that never happened), whatever its figures show."""
    if not data.errors:
        return []
    lines = ["", "## Problems", "", "| t (s) | where | what |", "|---|---|---|"]
    for e in data.errors[:MAX_PROBLEM_ROWS]:
        said = f"{e.get('message', '')} {e.get('hint', '')}".strip()
        lines.append(f"| {float(e.get('ts', 0.0)) - data.start:.1f} | {e.get('source', '')} | {cell(said, 200)} |")
    if len(data.errors) > MAX_PROBLEM_ROWS:
        lines.append(f"\n{len(data.errors) - MAX_PROBLEM_ROWS} more in {layout.ERRORS}.")
    return lines


def _decisions(data: RunData) -> list[str]:
    """Each decision with its "from", and Applied in the history's (h) words. A keep ("-") while dry-run was on
    reads "- (dry-run on)", so the rows after a dry-run step do not read as normal keeps."""
    decisions = events_of(data.decisions, DecisionEvent)
    if not decisions:
        return []
    lines = [
        "",
        "## Decisions",
        "",
        "| t (s) | applied | parallelism | TaskManagers | reason |",
        "|---|---|---|---|---|",
    ]
    dry = dry_run_spans(data)
    for e in entries(decisions[:MAX_DECISION_ROWS]):
        d, before, tms_before = e.decision, e.before, e.taskmanagers_before
        tms_changed = d.taskmanagers is not None and tms_before is not None and d.taskmanagers != tms_before
        parallelism = ", ".join(
            f"{k}={before[k]}→{v}" if k in before and before[k] != v else f"{k}={v}" for k, v in d.parallelism.items()
        )
        tms = (
            "—"
            if d.taskmanagers is None
            else f"{tms_before} → {d.taskmanagers}"
            if tms_changed
            else str(d.taskmanagers)
        )
        applied = e.applied + (" (dry-run on)" if e.applied == "-" and any(a <= d.ts <= b for a, b in dry) else "")
        lines.append(f"| {d.ts - data.start:.1f} | {applied} | {cell(parallelism, 80)} | {tms} | {cell(d.reason)} |")
    if len(decisions) > MAX_DECISION_ROWS:
        lines.append(f"\n{len(decisions) - MAX_DECISION_ROWS} more decisions in {layout.DECISIONS}.")
    return lines


def render_report(data: RunData, summary: RunSummary, plots: list[Path]) -> str:
    lines = _header(data) + _problems(data)
    lines += ["", "## Summary", "", summary_table(summary), "", f"<sub>{DEFINITIONS}</sub>"]
    if plots:
        lines += [
            "",
            "## Plots",
            "",
            "Fault windows are shaded; applied decisions are purple vertical lines, decisions that kept the "
            "parallelism grey ticks along the top, and rescales or TaskManager changes made by hand (or by the "
            "experiment file's timeline) dash-dotted teal lines. The target rate is drawn over the achieved one.",
            "",
        ]
        lines += [f"![{p.stem}]({layout.PLOTS_DIR}/{p.name})" for p in plots]
    lines += timeline_section(data) + _faults(data) + _decisions(data)
    lines += [
        "",
        f"Data: {', '.join(layout.CSV_FILES)} (and .parquet), {', '.join(layout.JSONL_FILES)}, "
        f"{layout.EVENTS_LOG}; the experiment file as run: {layout.EXPERIMENT}.",
        "",
    ]
    return "\n".join(lines)


def report_run(run_dir: Path | str, slo: SloSpec | None = None, *, plots: bool = True) -> tuple[Path, RunSummary]:
    """Write report.md (and plots/*.png) into the run directory; returns its path and the summary it shows."""
    data = load_run(run_dir)
    summary = summarize(data, slo)
    pngs = plot_run(data, data.run_dir / layout.PLOTS_DIR) if plots else []
    path = data.run_dir / layout.REPORT
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_report(data, summary, pngs), encoding="utf-8")
    tmp.replace(path)
    return path, summary


def write_report(run_dir: Path | str, slo: SloSpec | None = None, *, plots: bool = True) -> Path:
    """Write report.md (and plots/*.png) into the run directory; returns the report's path."""
    return report_run(run_dir, slo, plots=plots)[0]
