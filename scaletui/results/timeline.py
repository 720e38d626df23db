"""The Timeline section of report.md: the steps that shaped a run besides its autoscaler's decisions.

Each step taken by hand (a key, the `:` line) or by the experiment file's timeline is recorded as a StepTaken in
state.jsonl; the autoscaler pausing, resuming or going dry-run for a reason no step states (a rescale by hand pauses
it, a failover does) is read from its StrategyChanged records, so the table says why its decisions stop and start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scaletui.results.markdown import cell
from scaletui.results.rundata import RunData
from scaletui.scaling.loop_settings import setting_text

BY = {"hand": "by hand", "file": "experiment file"}
COVERED = {
    "paused": ("pause",),
    "resumed": ("resume", "strategy"),
    "dry-run on": ("dry-run",),
    "dry-run off": ("dry-run",),
}
"""Which steps already tell an autoscaler state change (a strategy chosen anew starts unpaused)."""
MAX_TIMELINE_ROWS = 100


@dataclass(frozen=True)
class TimelineRow:
    ts: float
    step: str
    by: str
    outcome: str


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))


def _pairs(fields: dict[str, Any]) -> str:
    return " ".join(f"{k}={_value(v)}" for k, v in fields.items() if v not in (None, "", {}, []))


def step_text(step: dict[str, Any]) -> str:
    """A recorded step in a few words: "rescale expensive to 4", "load step: rate=300 steps=[["1m", 900]]",
    "strategy ds2 (target_utilization=0.7) interval=5s cooldown=30s max_parallelism=6"."""
    do = str(step.get("do", "?"))
    rest = {k: v for k, v in step.items() if k != "do"}
    match do:
        case "rescale":
            return f"rescale {rest.get('operator')} to {rest.get('parallelism')}"
        case "taskmanagers":
            return f"TaskManagers to {rest.get('count')}"
        case "strategy":
            params = _pairs(rest.get("params") or {})
            # the step's other fields are the loop's settings it changes: timing in seconds, guard rails whole
            loop = " ".join(
                f"{k}={setting_text(k, v)}"
                for k, v in rest.items()
                if k not in ("name", "params") and isinstance(v, (int, float)) and not isinstance(v, bool)
            )
            return " ".join(filter(None, (f"strategy {rest.get('name')}", f"({params})" if params else "", loop)))
        case "dry-run":
            return "dry-run on" if rest.get("on", True) else "dry-run off"
        case "load":
            load = dict(rest.get("load") or {})
            return f"load {load.pop('profile', '?')}" + (f": {_pairs(load)}" if load else "")
        case "fault":
            targets = ", ".join(rest.get("targets") or []) or "the TaskManagers"
            params = _pairs(rest.get("params") or {})
            return f"fault {rest.get('kind')} on {targets} for {rest.get('duration')}s" + (
                f" ({params})" if params else ""
            )
        case "submit" | "cancel-job":
            return "submit the job" if do == "submit" else "cancel the job"
    return f"{do} {_pairs(rest)}".strip()


def autoscaler_changes(data: RunData) -> list[tuple[float, str, str]]:
    """(time, what changed, why) each time the autoscaler's pause or dry-run flag moved."""
    out: list[tuple[float, str, str]] = []
    paused = dry_run = False
    for record in data.records("StrategyChanged"):
        ts = float(record.get("ts", 0.0))
        now_paused, now_dry = bool(record.get("paused")), bool(record.get("dry_run"))
        name = str(record.get("name", ""))
        if now_paused != paused:
            out.append(
                (ts, "paused" if now_paused else "resumed", f"{name}: {record.get('message') or ''}".rstrip(": "))
            )
        if now_dry != dry_run:
            out.append((ts, "dry-run on" if now_dry else "dry-run off", name))
        paused, dry_run = now_paused, now_dry
    return out


def dry_run_spans(data: RunData) -> list[tuple[float, float]]:
    """When the autoscaler was in dry-run (the last span ends with the run when it was still on)."""
    spans: list[tuple[float, float]] = []
    since: float | None = None
    for ts, change, _ in autoscaler_changes(data):
        if change == "dry-run on":
            since = ts
        elif change == "dry-run off" and since is not None:
            spans.append((since, ts))
            since = None
    return spans + ([(since, data.end)] if since is not None else [])


def timeline_rows(data: RunData) -> list[TimelineRow]:
    """The recorded steps, and the autoscaler's pauses, resumes and dry-run switches no step at that time states."""
    steps = data.records("StepTaken")
    rows = [
        TimelineRow(
            float(s.get("ts", 0.0)),
            step_text(s.get("step") or {}),
            BY.get(str(s.get("by")), str(s.get("by"))),
            str(s.get("message", "")) if s.get("ok", True) else f"failed: {s.get('message', '')}",
        )
        for s in steps
    ]
    for ts, change, why in autoscaler_changes(data):
        told = any(
            abs(float(s.get("ts", 0.0)) - ts) < 0.5 and (s.get("step") or {}).get("do") in COVERED[change]
            for s in steps
        )
        if not told:
            rows.append(TimelineRow(ts, f"autoscaler {change}", "—", why))
    return sorted(rows, key=lambda r: r.ts)


def timeline_section(data: RunData) -> list[str]:
    """The markdown lines of the section (none when nothing was done besides the autoscaler's decisions)."""
    rows = timeline_rows(data)
    if not rows:
        return []
    lines = ["", "## Timeline", "", "| t (s) | step | by | outcome |", "|---|---|---|---|"]
    lines += [
        f"| {r.ts - data.start:.1f} | {cell(r.step, 80)} | {r.by} | {cell(r.outcome, 120)} |"
        for r in rows[:MAX_TIMELINE_ROWS]
    ]
    if len(rows) > MAX_TIMELINE_ROWS:
        lines.append(f"\n{len(rows) - MAX_TIMELINE_ROWS} more in state.jsonl.")
    return lines
