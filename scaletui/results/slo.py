"""The SLO check of a run: how many of the job's seconds broke the latency bound, whether enough of them met it.

The SLO is judged over the job's seconds, from its start (t = 0) to its last sample (RunData.duration), each step
standing for the time since the step before it (RunData.step_durations). A second breaks the bound when its p99
end-to-end latency is above `p99_latency_ms`, and counts against the SLO too when no latency was measured: the job
was down for a rescale or restart, or not delivering yet, so it cannot be shown to have met the bound. The two are
kept apart (`violation_s`, `unmeasured_s`) so the report can say which. A run that did not run to its end (status
interrupted, failed, still running) is not judged: a 90 s experiment cut at 29 s has not shown it holds its SLO.
The headless runner exits with SloError.exit_code (5) when `SloResult.error()` is not None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scaletui.config.models import SloSpec
from scaletui.errors import SloError
from scaletui.results.rundata import RunData, load_run


def slo_latency_stat(data: RunData) -> str | None:
    """The latency statistic the SLO is checked on: p99, else the only one recorded, else max (an upper bound)."""
    if "p99" in data.latency:
        return "p99"
    if len(data.latency) == 1:
        return next(iter(data.latency))
    return "max" if "max" in data.latency else None


@dataclass(frozen=True)
class SloResult:
    passed: bool
    bound_ms: float | None = None
    required_fraction: float | None = None
    latency_stat: str | None = None
    judged_s: float = 0.0
    violation_s: float = 0.0
    unmeasured_s: float = 0.0
    met_fraction: float | None = None
    required_throughput_fraction: float | None = None
    throughput_fraction: float | None = None
    reasons: list[str] = field(default_factory=list)
    not_judged: str | None = None
    """Why the run has no verdict ("run interrupted after 28.7 s of 90 s"), or None when it has one."""

    def error(self) -> SloError | None:
        """The SloError to exit with (code 5), or None when the run met its SLO."""
        if self.passed:
            return None
        if self.not_judged is not None:
            return SloError(
                f"The SLO was not judged: {self.not_judged}, so it has not shown that it holds.",
                "Run the experiment to its end; report.md holds what the cut-short run recorded.",
            )
        return SloError(
            f"The run broke its SLO: {'; '.join(self.reasons)}.",
            "See report.md in the run's results directory for when it happened.",
        )

    @property
    def verdict(self) -> str:
        if self.not_judged is not None:
            return f"not judged ({self.not_judged})"
        return "pass" if self.passed else "FAIL: " + "; ".join(self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the session's run summary; a run not judged has no `passed` (the run history shows -)."""
        out = asdict(self)
        if self.not_judged is not None:
            del out["passed"]
        return out


JUDGED_STATUSES = ("done", "unknown")
"""Runs that ran to their end (`unknown`: a directory with no run.json, judged on what it holds)."""


def not_judged(data: RunData) -> str | None:
    """Why `data` gets no SLO verdict, or None: only a run that ran to its end is judged."""
    if data.status in JUDGED_STATUSES:
        return None
    status = "still marked running (cut short)" if data.status == "running" else data.status
    planned = data.planned_duration
    return f"run {status} after {data.duration:.1f} s" + (f" of {planned:g} s" if planned is not None else "")


def check_slo(spec: SloSpec, data: RunData) -> SloResult:
    reasons: list[str] = []
    durations = data.step_durations()
    job = data.job_steps()
    result: dict[str, Any] = {}
    if spec.p99_latency_ms is not None:
        stat = slo_latency_stat(data)
        series = data.latency[stat] if stat else np.full(len(data.ts), np.nan)
        known = job & ~np.isnan(series)
        above = known & (np.nan_to_num(series, nan=-np.inf) > spec.p99_latency_ms)
        judged = data.duration
        violated = float(durations[above].sum())
        within = float(durations[known & ~above].sum())
        unmeasured = max(judged - violated - within, 0.0)
        met = within / judged if known.any() and judged > 0 else None
        result.update(
            bound_ms=spec.p99_latency_ms,
            required_fraction=spec.min_fraction,
            latency_stat=stat,
            judged_s=judged,
            violation_s=violated,
            unmeasured_s=unmeasured,
            met_fraction=met,
        )
        if met is None:
            reasons.append("no end-to-end latency was recorded, so the latency bound cannot be shown to hold")
        elif met < spec.min_fraction:
            reasons.append(
                f"p99 latency was under {spec.p99_latency_ms:g} ms for {met:.1%} of the job's {judged:.0f} s "
                f"({violated:.0f} s above it, {unmeasured:.0f} s with no latency measured), below the required "
                f"{spec.min_fraction:.1%}"
            )
    if spec.min_throughput_fraction is not None:
        both = job & ~np.isnan(data.target) & ~np.isnan(data.achieved)
        wanted = float((data.target[both] * durations[both]).sum())
        ratio = float((data.achieved[both] * durations[both]).sum()) / wanted if wanted > 0 else None
        result.update(required_throughput_fraction=spec.min_throughput_fraction, throughput_fraction=ratio)
        if ratio is None:
            reasons.append("no target and achieved rates were recorded together")
        elif ratio < spec.min_throughput_fraction:
            reasons.append(
                f"the achieved rate was {ratio:.1%} of the target, below the required "
                f"{spec.min_throughput_fraction:.1%}"
            )
    why_not = not_judged(data)
    return SloResult(passed=not reasons and why_not is None, reasons=reasons, not_judged=why_not, **result)


def check_run_slo(run_dir: Path | str, spec: SloSpec | None = None) -> SloResult | None:
    """Check a recorded run against `spec`, or the SLO its copied experiment file asserts; None when there is none."""
    data = load_run(run_dir)
    spec = spec or data.slo
    return check_slo(spec, data) if spec is not None else None
