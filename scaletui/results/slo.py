"""The SLO check of a run: how many seconds broke the latency bound, whether enough of the run met it.

A step breaks the bound when its recorded p99 end-to-end latency is above `p99_latency_ms`; each step stands for
the seconds up to the next one (RunData.step_durations). Seconds with no latency measured count neither way, but a
run that asserts a latency SLO and measured none fails: an unmeasured run has not shown it met anything. The
headless runner exits with SloError.exit_code (5) when `SloResult.error()` is not None.
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
    measured_s: float = 0.0
    violation_s: float = 0.0
    met_fraction: float | None = None
    required_throughput_fraction: float | None = None
    throughput_fraction: float | None = None
    reasons: list[str] = field(default_factory=list)

    def error(self) -> SloError | None:
        """The SloError to exit with (code 5), or None when the run met its SLO."""
        if self.passed:
            return None
        return SloError(
            f"The run broke its SLO: {'; '.join(self.reasons)}.",
            "See report.md in the run's results directory for when it happened.",
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_slo(spec: SloSpec, data: RunData) -> SloResult:
    reasons: list[str] = []
    durations = data.step_durations()
    result: dict[str, Any] = {}
    if spec.p99_latency_ms is not None:
        stat = slo_latency_stat(data)
        series = data.latency[stat] if stat else np.full(len(data.ts), np.nan)
        known = ~np.isnan(series)
        measured = float(durations[known].sum())
        violated = float(durations[known & (np.nan_to_num(series, nan=-np.inf) > spec.p99_latency_ms)].sum())
        met = (measured - violated) / measured if measured > 0 else None
        result.update(
            bound_ms=spec.p99_latency_ms,
            required_fraction=spec.min_fraction,
            latency_stat=stat,
            measured_s=measured,
            violation_s=violated,
            met_fraction=met,
        )
        if met is None:
            reasons.append("no end-to-end latency was recorded, so the latency bound cannot be shown to hold")
        elif met < spec.min_fraction:
            reasons.append(
                f"p99 latency was under {spec.p99_latency_ms:g} ms for {met:.1%} of the measured "
                f"{measured:.0f} s, below the required {spec.min_fraction:.1%}"
            )
    if spec.min_throughput_fraction is not None:
        both = ~np.isnan(data.target) & ~np.isnan(data.achieved)
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
    return SloResult(passed=not reasons, reasons=reasons, **result)


def check_run_slo(run_dir: Path | str, spec: SloSpec | None = None) -> SloResult | None:
    """Check a recorded run against `spec`, or the SLO its copied experiment file asserts; None when there is none."""
    data = load_run(run_dir)
    spec = spec or data.slo
    return check_slo(spec, data) if spec is not None else None
