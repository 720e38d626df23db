"""The numbers a person compares runs by, computed from a run directory's data (see DEFINITIONS).

Each item keeps its raw value beside its text, so compare can compute differences without parsing strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scaletui.config.models import SloSpec
from scaletui.results.rundata import RunData
from scaletui.results.slo import SloResult, check_slo

DEFINITIONS = (
    "Every figure covers the job's time, from its start (t = 0) to its last sample (the duration): rows "
    'recorded before it (operator "(job)", t_s < 0) and the teardown after it are left out. '
    "Throughput: mean over time steps of the target and achieved rates (steps where each was measured). "
    "Latency pXX: mean over time steps of the sink's per-step pXX end-to-end latency (when only one latency "
    "statistic is recorded, its XXth percentile over the steps). "
    "SLO violation: of the job's seconds, those whose p99 latency was above the bound, plus those with no latency "
    "measured (the job down for a rescale or restart, or not delivering yet), given apart; both count against "
    "the SLO. Each step stands for the time since the one before it (at most twice the usual interval; a longer "
    "gap counts as unmeasured). A run that did not run to its end is not judged. "
    "Rescales: completed actuations (parallelism, TaskManagers, savepoint-restart); when none were recorded, "
    "changes of operator parallelism seen in the metrics. "
    "Slot-seconds: slots in use (total minus free; else the largest operator parallelism, as slots are shared) "
    "times seconds. Faults: faults injected."
)
_SINGLE_STAT_NAMES = ("e2e", "latency", "mean")


@dataclass(frozen=True)
class SummaryItem:
    key: str
    label: str
    value: float | None
    text: str
    unit: str = ""


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    name: str
    strategy: str
    status: str
    items: list[SummaryItem] = field(default_factory=list)
    slo: SloResult | None = None

    def value(self, key: str) -> float | None:
        return next((item.value for item in self.items if item.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the session's RunRecord.summary (TOML has no null: unknown values are left out)."""
        out: dict[str, Any] = {item.key: item.value for item in self.items if item.value is not None}
        if self.slo is not None and self.slo.not_judged is None:
            out["slo_passed"] = self.slo.passed
        return out


def _mean(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return float(known.mean()) if len(known) else None


def latency_quantile(data: RunData, q: int) -> float | None:
    job = data.job_steps()
    if f"p{q}" in data.latency:
        return _mean(data.latency[f"p{q}"][job])
    names = [name for name in data.latency if name in _SINGLE_STAT_NAMES] or list(data.latency)
    if len(names) != 1:
        return None
    series = data.latency[names[0]][job]
    known = series[~np.isnan(series)]
    return float(np.percentile(known, q)) if len(known) else None


def count_rescales(data: RunData) -> tuple[int, str]:
    """Completed actuations (the last record of each wins), or parallelism changes seen when none were recorded."""
    if data.actuations:
        last: dict[tuple[Any, ...], dict[str, Any]] = {}
        for record in data.actuations:
            last[(record.get("kind"), record.get("target"), record.get("started"))] = record
        return sum(1 for r in last.values() if r.get("ok", True)), "actuations"
    if not data.parallelism:
        return 0, "metrics"
    matrix = np.vstack(list(data.parallelism.values())).T
    complete = [tuple(row) for row in matrix if not np.isnan(row).any()]
    return sum(1 for a, b in zip(complete, complete[1:]) if a != b), "metrics"


def slot_seconds(data: RunData) -> float | None:
    used = data.total_slots - data.free_slots
    if data.parallelism:
        stacked = np.vstack(list(data.parallelism.values()))
        widest = np.where(np.isnan(stacked).all(axis=0), np.nan, np.nan_to_num(stacked, nan=-1).max(axis=0))
        used = np.where(np.isnan(used), widest, used)
    known = ~np.isnan(used) & data.job_steps()
    return float((used[known] * data.step_durations()[known]).sum()) if known.any() else None


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}{(' ' + unit) if unit else ''}"


def summarize(data: RunData, slo: SloSpec | None = None) -> RunSummary:
    """The summary of a run; `slo` defaults to the one its experiment file asserts."""
    spec = slo or data.slo
    result = check_slo(spec, data) if spec is not None else None
    job = data.job_steps()
    target, achieved = _mean(data.target[job]), _mean(data.achieved[job])
    ratio = achieved / target if target and achieved is not None else None
    rescales, _ = count_rescales(data)
    slots = slot_seconds(data)
    injected = {f.fault_id for f in data.fault_windows()}
    applied = sum(1 for d in data.decisions if d.get("applied"))
    items = [
        SummaryItem("duration_s", "duration", data.duration, _fmt(data.duration, "s"), "s"),
        SummaryItem("target_rate", "throughput target (mean)", target, _fmt(target, "rec/s"), "rec/s"),
        SummaryItem(
            "achieved_rate",
            "throughput achieved (mean)",
            achieved,
            _fmt(achieved, "rec/s") + (f" ({ratio:.1%} of target)" if ratio is not None else ""),
            "rec/s",
        ),
    ]
    for q in (50, 95, 99):
        value = latency_quantile(data, q)
        items.append(SummaryItem(f"p{q}_ms", f"latency p{q}", value, _fmt(value, "ms"), "ms"))
    if result is not None and result.bound_ms is not None:
        against = result.violation_s + result.unmeasured_s
        text = (
            f"{_fmt(against, 's')} of {_fmt(result.judged_s, 's')}: {_fmt(result.violation_s, 's')} above the "
            f"{result.bound_ms:g} ms bound, {_fmt(result.unmeasured_s, 's')} with no latency measured"
        )
        items.append(SummaryItem("slo_violation_s", "SLO violation", against, text, "s"))
    if result is not None:
        passed = None if result.not_judged is not None else float(result.passed)
        items.append(SummaryItem("slo_passed", "SLO", passed, result.verdict))
    items += [
        SummaryItem("rescales", "rescales", float(rescales), str(rescales)),
        SummaryItem("decisions_applied", "decisions applied", float(applied), str(applied)),
        SummaryItem("slot_seconds", "slot-seconds", slots, _fmt(slots), "slot·s"),
        SummaryItem("faults", "faults", float(len(injected)), str(len(injected))),
    ]
    return RunSummary(data.run_id, data.name, data.strategy, data.status, items, result)


def summary_table(summary: RunSummary) -> str:
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {item.label} | {item.text} |" for item in summary.items]
    return "\n".join(lines)
