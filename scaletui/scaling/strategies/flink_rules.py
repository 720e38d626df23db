"""The per-vertex rule of the Apache Flink Kubernetes operator's autoscaler, re-implemented as pure functions.

Source: apache/flink-kubernetes-operator, flink-autoscaler module: JobVertexScaler.computeScaleTargetParallelism and
scale, AutoScalerUtils.getTargetProcessingCapacity, ScalingMetricEvaluator.computeProcessingRateThresholds,
DelayedScaleDown, the alignment modes of autoscaler.alignment, and the defaults of config.AutoScalerOptions. Read
at commit 6e9caeb (July 2026) and checked case by case against JobVertexScalerTest (tests/scaling/
test_flink_rules.py). The rule: target capacity = catch-up rate + restart catch-up + target rate / utilisation
target; scale factor = capacity / true processing rate, bounded by the max scale-up/down factors; new parallelism =
ceil(factor * current), clamped, then aligned to the key groups or source partitions; scale-ups that delivered
less than the effectiveness threshold of what they promised block further scale-ups; scale-downs wait for the
scale-down interval and then take the highest recommendation of that interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

INT_MAX = 2**31 - 1
ALIGNMENTS = ("BALANCED", "EVENLY_SPREAD", "OFF", "LEGACY_EVENLY_SPREAD", "LEGACY_MAXIMIZE_UTILISATION")


@dataclass(frozen=True)
class ScalerOptions:
    """The options the rule reads, with the operator's documented defaults."""

    utilization_target: float = 0.7
    utilization_boundary: float = 0.3
    utilization_max: float | None = None
    utilization_min: float | None = None
    max_scale_down_factor: float = 0.6
    max_scale_up_factor: float = 100000.0
    scale_down_interval_s: float = 3600.0
    catch_up_duration_s: float = 1800.0
    restart_time_s: float = 300.0
    vertex_min_parallelism: int = 1
    vertex_max_parallelism: int = 200
    effectiveness_detection: bool = False
    effectiveness_threshold: float = 0.1
    observed_scalability: bool = False
    observed_scalability_min_observations: int = 3
    observed_scalability_coefficient_min: float = 0.5
    alignment: str = "BALANCED"


@dataclass(frozen=True)
class VertexMetrics:
    """The evaluated metrics of one vertex (averages over the metrics window)."""

    parallelism: int
    true_processing_rate: float
    target_data_rate: float
    max_parallelism: int = 720
    catch_up_data_rate: float = 0.0
    num_source_partitions: int = 0
    hash_input: bool = False
    processing_backlog: bool = False


@dataclass(frozen=True)
class ScalingSummary:
    """One past rescale of a vertex: what it was, what it became, what it processed and what was expected."""

    current_parallelism: int
    new_parallelism: int
    true_processing_rate: float
    expected_processing_rate: float = math.nan

    @property
    def scaled_up(self) -> bool:
        return self.new_parallelism > self.current_parallelism


@dataclass(frozen=True)
class ParallelismChange:
    current: int
    new: int
    outside_bound: bool = False
    expected_processing_rate: float | None = None
    ineffective: str = ""
    """Set when the last scale-up was ineffective (whether or not it blocked this one)."""

    @property
    def no_change(self) -> bool:
        return self.new == self.current

    def key(self) -> tuple[int, int, bool]:
        """What the operator's equals() compares: the bound flag only matters for a change."""
        return (self.current, self.new, self.outside_bound and not self.no_change)


@dataclass
class DelayedScaleDown:
    """Per vertex: when a scale-down was first wanted, and a decreasing list of (time, p, outside) in the window."""

    vertices: dict[str, tuple[float, list[tuple[float, int, bool]]]] = field(default_factory=dict)

    def trigger(
        self, vertex: str, now: float, parallelism: int, outside: bool
    ) -> tuple[float, list[tuple[float, int, bool]]]:
        first, recs = self.vertices.setdefault(vertex, (now, []))
        while recs and recs[-1][1] <= parallelism:
            recs.pop()
        recs.append((now, parallelism, outside))
        return first, recs

    def clear(self, vertex: str) -> None:
        self.vertices.pop(vertex, None)

    def clear_all(self) -> None:
        self.vertices.clear()


def _ratio(a: float, b: float) -> float:
    """a / b with Java's double semantics (x/0 is +-inf, 0/0 is NaN)."""
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def java_round(x: float) -> float:
    return float(math.floor(x + 0.5))


def target_capacity(
    m: VertexMetrics, o: ScalerOptions, utilization: float, with_restart: bool, restart_s: float
) -> float:
    """Lag catch-up + restart catch-up + target rate at utilisation (AutoScalerUtils.getTargetProcessingCapacity)."""
    if math.isnan(m.catch_up_data_rate) or math.isnan(m.target_data_rate):
        return math.nan
    utilization = min(1.0, max(0.0, utilization))
    if utilization == 0:
        return math.inf
    catch_up_s = math.floor(o.catch_up_duration_s)
    restart_rate = (
        0.0 if not with_restart or catch_up_s == 0 else m.target_data_rate * math.floor(restart_s) / catch_up_s
    )
    return java_round(m.catch_up_data_rate + restart_rate + m.target_data_rate / utilization)


def rate_thresholds(m: VertexMetrics, o: ScalerOptions, restart_s: float) -> tuple[float, float]:
    """(scale-up threshold, scale-down threshold) on the true processing rate."""
    if m.processing_backlog:
        upper, lower = 1.0, 0.0
    else:
        upper = o.utilization_max if o.utilization_max is not None else o.utilization_target + o.utilization_boundary
        lower = o.utilization_min if o.utilization_min is not None else o.utilization_target - o.utilization_boundary
    return target_capacity(m, o, upper, False, restart_s), target_capacity(m, o, lower, True, restart_s)


def observed_scaling_coefficient(history: list[ScalingSummary], o: ScalerOptions) -> float:
    """Least-squares fit of rate = baseline * coefficient * p over past rescales, in [min, 1], rounded up to 0.01."""
    if not history or len(history) < o.observed_scalability_min_observations:
        return 1.0
    baseline = math.nan
    smallest: ScalingSummary | None = None
    for s in reversed(history):
        if s.current_parallelism == 1:
            baseline = s.true_processing_rate
            break
        if smallest is None or s.current_parallelism < smallest.current_parallelism:
            smallest = s
    else:
        if smallest is not None:
            baseline = smallest.true_processing_rate / smallest.current_parallelism
    if math.isnan(baseline) or any(math.isnan(s.true_processing_rate) for s in history):
        return 1.0
    num = sum(s.current_parallelism * s.true_processing_rate for s in history)
    den = sum(s.current_parallelism**2 for s in history)
    coefficient = 1.0 if den == 0 else max(o.observed_scalability_coefficient_min, min(1.0, num / (den * baseline)))
    return float(Decimal(repr(coefficient)).quantize(Decimal("0.01"), rounding=ROUND_CEILING))


def scale(
    current: int,
    hash_input: bool,
    num_source_partitions: int,
    max_parallelism: int,
    scale_factor: float,
    lower_limit: int,
    upper_limit: int,
    alignment: str = "BALANCED",
) -> int:
    """ceil(factor * current) clamped to [lower, min(upper, max parallelism)], then aligned (JobVertexScaler.scale)."""
    if lower_limit > upper_limit:
        raise ValueError("the parallelism lower limit must not be greater than the upper limit")
    raw = int(min(math.ceil(scale_factor * current), INT_MAX))
    upper = min(max_parallelism, upper_limit)
    new = min(max(lower_limit, raw), upper)
    if new == current or alignment == "OFF" or not (num_source_partitions > 0 or hash_input):
        return new
    n = num_source_partitions if num_source_partitions > 0 else max_parallelism
    align_upper = min(n, min(max_parallelism, upper_limit))
    scale_up = new > current
    region_end = align_upper if scale_up else min(current, align_upper)
    load_reducing = alignment in ("BALANCED", "LEGACY_MAXIMIZE_UTILISATION")
    for p in range(new, region_end + 1):
        if n % p == 0 or (load_reducing and n // p < n // new):
            return p
    if not alignment.startswith("LEGACY_"):
        return new
    p = new
    while p > 0:  # the legacy modes relax below the target to where per-subtask load grows
        if n // p > n // new:
            if n % p != 0:
                p += 1
            break
        p -= 1
    candidate = max(p, lower_limit)
    if (scale_up and candidate <= current) or (not scale_up and candidate >= current):
        return current
    return candidate


def compute_scale_target_parallelism(
    vertex: str,
    m: VertexMetrics,
    o: ScalerOptions,
    history: list[ScalingSummary] | None = None,
    delayed: DelayedScaleDown | None = None,
    now: float = 0.0,
    restart_time_s: float | None = None,
) -> ParallelismChange:
    """The operator's JobVertexScaler.computeScaleTargetParallelism, as a function of its inputs."""
    history = history or []
    delayed = delayed if delayed is not None else DelayedScaleDown()
    restart_s = o.restart_time_s if restart_time_s is None else restart_time_s
    current = m.parallelism
    if math.isnan(m.true_processing_rate):
        return ParallelismChange(current, current)
    capacity = target_capacity(m, o, o.utilization_target, True, restart_s)
    if math.isnan(capacity):
        return ParallelismChange(current, current)
    factor = capacity / m.true_processing_rate
    if o.observed_scalability:
        factor /= observed_scaling_coefficient(history, o)
    factor = min(max(factor, 1 - o.max_scale_down_factor), 1 + o.max_scale_up_factor)
    new = scale(
        current,
        m.hash_input,
        m.num_source_partitions,
        m.max_parallelism,
        factor,
        min(current, o.vertex_min_parallelism),
        max(current, o.vertex_max_parallelism),
        o.alignment,
    )
    if new == current:
        delayed.clear(vertex)
        return ParallelismChange(current, current)
    expected = m.true_processing_rate / current * new
    up_threshold, down_threshold = rate_thresholds(m, o, restart_s)
    outside = m.true_processing_rate < up_threshold or m.true_processing_rate > down_threshold
    if new > current:
        delayed.clear(vertex)
        if history:
            last = history[-1]
            if current == last.new_parallelism and last.scaled_up:
                expected_increase = last.expected_processing_rate - last.true_processing_rate
                actual_increase = m.true_processing_rate - last.true_processing_rate
                if not _ratio(actual_increase, expected_increase) >= o.effectiveness_threshold:
                    note = (
                        f"ineffective scaling of {vertex} (expected increase {expected_increase:.1f}, actual "
                        f"{actual_increase:.1f}); blocking is {'enabled' if o.effectiveness_detection else 'disabled'}"
                    )
                    if o.effectiveness_detection:
                        return ParallelismChange(current, current, ineffective=note)
                    return ParallelismChange(current, new, outside, expected, ineffective=note)
        return ParallelismChange(current, new, outside, expected)
    if o.scale_down_interval_s <= 0:
        return ParallelismChange(current, new, outside, expected)
    window_start = now - o.scale_down_interval_s
    first, recs = delayed.trigger(vertex, now, new, outside)
    if window_start < first:
        return ParallelismChange(current, current)
    while recs and recs[0][0] < window_start:
        recs.pop(0)
    _, p_max, outside_max = recs[0]
    if p_max == current:
        return ParallelismChange(current, current)
    return ParallelismChange(current, p_max, outside_max, m.true_processing_rate / current * p_max)
