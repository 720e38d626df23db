"""The Flink operator's per-vertex rule, checked number for number against the cases of its own unit tests.

Ported from JobVertexScalerTest in apache/flink-kubernetes-operator (flink-autoscaler, commit 6e9caeb). Their setup
is kept: max scale-down factor 1, max scale-up factor Integer.MAX_VALUE, catch-up duration 0, the legacy
EVENLY_SPREAD alignment (the tests pin it), max parallelism 720. "Adjusting inputs" (HASH) is `hash_input=True`.
"""

from __future__ import annotations

import dataclasses

import pytest

from scaletui.scaling.strategies.flink_rules import (
    INT_MAX,
    DelayedScaleDown,
    ParallelismChange,
    ScalerOptions,
    ScalingSummary,
    VertexMetrics,
    compute_scale_target_parallelism,
    observed_scaling_coefficient,
    scale,
)

BASE = ScalerOptions(
    max_scale_down_factor=1.0,
    max_scale_up_factor=float(INT_MAX),
    catch_up_duration_s=0.0,
    alignment="LEGACY_EVENLY_SPREAD",
)


def opts(**kw: object) -> ScalerOptions:
    return dataclasses.replace(BASE, **kw)  # type: ignore[arg-type]


def evaluated(p: int, target: float, tpr: float, hash_input: bool = False, partitions: int = 0) -> VertexMetrics:
    return VertexMetrics(p, tpr, target, max_parallelism=720, hash_input=hash_input, num_source_partitions=partitions)


def change(new: int, current: int, outside: bool) -> tuple[int, int, bool]:
    return (current, new, outside and new != current)


def no_change(p: int) -> tuple[int, int, bool]:
    return (p, p, False)


def compute(m: VertexMetrics, o: ScalerOptions, **kw: object) -> ParallelismChange:
    return compute_scale_target_parallelism("v", m, o, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("hash_input", [True])
def test_parallelism_scaling(hash_input: bool) -> None:
    d = DelayedScaleDown()
    o = opts(utilization_target=1.0, scale_down_interval_s=0)
    assert compute(evaluated(10, 50, 100, hash_input), o, delayed=d).key() == change(5, 10, True)
    o = opts(utilization_target=0.8, scale_down_interval_s=0)
    assert compute(evaluated(10, 50, 100, hash_input), o, delayed=d).key() == change(8, 10, False)
    assert compute(evaluated(10, 80, 100, hash_input), o, delayed=d).key() == no_change(10)
    assert compute(evaluated(10, 60, 100, hash_input), o, delayed=d).key() == change(8, 10, False)
    assert compute(evaluated(10, 59, 100, hash_input), o, delayed=d).key() == change(8, 10, False)
    o = opts(utilization_target=0.5, scale_down_interval_s=0)
    assert compute(evaluated(2, 100, 40, hash_input), o, delayed=d).key() == change(10, 2, True)
    o = opts(utilization_target=0.6, scale_down_interval_s=0)
    assert compute(evaluated(2, 100, 100, hash_input), o, delayed=d).key() == change(4, 2, True)
    o = opts(utilization_target=1.0, scale_down_interval_s=0, max_scale_down_factor=0.5)
    assert compute(evaluated(10, 10, 100, hash_input), o, delayed=d).key() == change(5, 10, True)
    o = opts(utilization_target=1.0, scale_down_interval_s=0, max_scale_down_factor=0.6)
    assert compute(evaluated(10, 10, 100, hash_input), o, delayed=d).key() == change(4, 10, True)
    o = opts(utilization_target=1.0, scale_down_interval_s=0, max_scale_down_factor=0.6, max_scale_up_factor=0.5)
    assert compute(evaluated(10, 200, 10, hash_input), o, delayed=d).key() == change(15, 10, True)
    o = opts(utilization_target=1.0, scale_down_interval_s=0, max_scale_down_factor=0.6, max_scale_up_factor=0.6)
    assert compute(evaluated(10, 200, 10, hash_input), o, delayed=d).key() == change(16, 10, True)


def test_parallelism_computation_without_alignment() -> None:
    # NOT_ADJUST_INPUTS: no hash input, no source partitions
    assert scale(1, False, 0, 720, 0.0001, 1, INT_MAX) == 1
    assert scale(2, False, 0, 720, 0.1, 1, INT_MAX) == 1
    assert scale(6, False, 0, 720, 0.8, 1, INT_MAX) == 5
    assert scale(16, False, 0, 128, 1.5, 1, INT_MAX) == 24
    assert scale(200, False, 0, 720, 2, 1, INT_MAX) == 400
    assert scale(200, False, 0, 720, INT_MAX, 1, INT_MAX) == 720


def test_parallelism_computation_with_adjustment() -> None:
    legacy = "LEGACY_EVENLY_SPREAD"
    assert scale(6, True, 0, 36, 0.8, 1, INT_MAX, legacy) == 6
    assert scale(16, True, 0, 128, 1.5, 1, INT_MAX, legacy) == 32
    assert scale(200, True, 0, 720, 1.3, 1, INT_MAX, legacy) == 360
    assert scale(200, True, 0, 720, INT_MAX, 1, INT_MAX, legacy) == 720
    assert scale(10, True, 0, 128, 2.5, 1, INT_MAX, legacy) == 32
    assert scale(10, True, 0, 128, 2.5, 1, 128, "LEGACY_MAXIMIZE_UTILISATION") == 26


def test_parallelism_computation_with_limit() -> None:
    legacy = "LEGACY_EVENLY_SPREAD"
    assert scale(6, True, 0, 720, 0.8, 1, 700, legacy) == 5
    assert scale(8, True, 0, 720, 0.8, 8, 700, legacy) == 8
    assert scale(16, True, 0, 128, 1.5, 1, INT_MAX, legacy) == 32
    assert scale(16, True, 0, 128, 1.5, 60, INT_MAX, legacy) == 64
    assert scale(200, True, 0, 720, 2, 1, 300, legacy) == 240
    assert scale(200, True, 0, 720, INT_MAX, 1, 600, legacy) == 360


def test_min_parallelism_must_not_exceed_max() -> None:
    with pytest.raises(ValueError):
        scale(200, False, 0, 720, INT_MAX, 500, 499)


def test_min_parallelism_limit_is_used() -> None:
    o = opts(vertex_min_parallelism=5, scale_down_interval_s=0)
    assert compute(evaluated(10, 100, 500), o).key() == change(5, 10, True)
    assert compute(evaluated(4, 100, 500), o).key() == no_change(4)


def test_max_parallelism_limit_is_used() -> None:
    o = opts(vertex_max_parallelism=10, utilization_target=1.0)
    assert compute(evaluated(10, 500, 100), o).key() == no_change(10)
    assert compute(evaluated(12, 500, 100), o).key() == no_change(12)


def test_disable_scale_down_interval() -> None:
    o = opts(utilization_target=1.0, scale_down_interval_s=0)
    assert compute(evaluated(10, 50, 100), o).key() == change(5, 10, True)


def test_scale_down_after_interval() -> None:
    o, d = opts(utilization_target=1.0, scale_down_interval_s=60), DelayedScaleDown()
    assert compute(evaluated(100, 800, 1000), o, delayed=d, now=0).key() == no_change(100)
    assert compute(evaluated(100, 900, 1000), o, delayed=d, now=10).key() == no_change(100)
    assert compute(evaluated(100, 720, 1000), o, delayed=d, now=40).key() == no_change(100)
    assert compute(evaluated(100, 640, 1000), o, delayed=d, now=59).key() == no_change(100)
    assert compute(evaluated(100, 700, 1000), o, delayed=d, now=60).key() == change(90, 100, False)


def test_immediate_scale_up_within_scale_down_interval() -> None:
    o, d = opts(utilization_target=1.0, scale_down_interval_s=60), DelayedScaleDown()
    assert compute(evaluated(100, 800, 1000), o, delayed=d, now=0).key() == no_change(100)
    assert d.vertices
    assert compute(evaluated(100, 900, 1000), o, delayed=d, now=10).key() == no_change(100)
    assert d.vertices
    assert compute(evaluated(100, 1700, 1000), o, delayed=d, now=12).key() == change(170, 100, True)
    assert not d.vertices


def test_cancel_delayed_scale_down_when_new_parallelism_is_the_same() -> None:
    o, d = opts(utilization_target=1.0, scale_down_interval_s=60), DelayedScaleDown()
    assert compute(evaluated(100, 800, 1000), o, delayed=d, now=0).key() == no_change(100)
    assert compute(evaluated(100, 900, 1000), o, delayed=d, now=10).key() == no_change(100)
    assert d.vertices
    assert compute(evaluated(100, 1000, 1000), o, delayed=d, now=12).key() == no_change(100)
    assert not d.vertices


def _summary(current: int, new: int, result: ParallelismChange, tpr: float) -> ScalingSummary:
    assert result.expected_processing_rate is not None
    return ScalingSummary(current, new, tpr, result.expected_processing_rate)


def test_ineffective_scaling_detection() -> None:
    o = opts(effectiveness_detection=True, utilization_target=1.0, scale_down_interval_s=0)
    history: list[ScalingSummary] = []
    r = compute(evaluated(5, 100, 50), o, history=history)
    assert r.key() == change(10, 5, True) and r.expected_processing_rate == 100
    history.append(_summary(5, 10, r, 50))
    r = compute(evaluated(10, 180, 90), o, history=history)  # effective (80 % of the expected increase)
    assert r.key() == change(20, 10, True) and r.expected_processing_rate == 180
    history.append(_summary(10, 20, r, 90))
    assert compute(evaluated(20, 180, 94), o, history=history).key() == no_change(20)  # < 10 %: blocked
    assert compute(evaluated(20, 180, 98), o, history=history).key() == no_change(20)
    assert compute(evaluated(10, 180, 90), o, history=history).key() == change(20, 10, True)  # rescaled by hand
    r = compute(evaluated(20, 180, 100), o, history=history)  # just over 10 %: effective
    assert r.key() == change(36, 20, True) and r.expected_processing_rate is not None
    off = dataclasses.replace(o, effectiveness_detection=False)
    r = compute(evaluated(20, 180, 90), off, history=history)
    assert r.key() == change(40, 20, True) and "disabled" in r.ineffective
    assert compute(evaluated(20, 45, 90), o, history=history).key() == change(10, 20, True)  # scale-down allowed


def test_ineffective_scaling_reports_expected_and_actual_increase() -> None:
    o = opts(effectiveness_detection=True, utilization_target=1.0, scale_down_interval_s=0)
    history = [ScalingSummary(5, 10, 50, 100), ScalingSummary(10, 20, 90, 180)]
    r = compute(evaluated(20, 180, 95, hash_input=True), o, history=history)
    assert r.key() == no_change(20)
    assert "expected increase 90.0, actual 5.0" in r.ineffective and "enabled" in r.ineffective


def test_expected_processing_rate_computation() -> None:
    o = opts(utilization_target=1.0, scale_down_interval_s=0, max_scale_up_factor=0.5)
    r = compute(evaluated(10, 200, 10), o)
    assert r.key() == change(15, 10, True) and r.expected_processing_rate == 15.0
    o = opts(utilization_target=0.6, scale_down_interval_s=0)
    r = compute(evaluated(2, 100, 100), o)
    assert r.key() == change(4, 2, True) and r.expected_processing_rate == 200.0
    o = opts(utilization_target=1.0, scale_down_interval_s=0)
    r = compute(evaluated(10, 200, 100, partitions=15), o)
    assert r.key() == change(15, 10, True) and r.expected_processing_rate == 150.0


def test_num_partitions_adjustment() -> None:
    legacy = "LEGACY_EVENLY_SPREAD"
    assert scale(6, False, 15, 128, 0.4, 1, INT_MAX, legacy) == 3
    assert scale(7, False, 15, 128, 1.2, 1, INT_MAX, legacy) == 15
    assert scale(20, False, 35, 30, 0.9, 1, INT_MAX, legacy) == 18
    assert scale(22, False, 35, 30, 1.1, 20, INT_MAX, legacy) == 22
    assert scale(80, False, 200, 128, 1.4, 1, INT_MAX, legacy) == 100
    assert scale(24, False, 199, INT_MAX, 4, 1, INT_MAX, legacy) == 199
    assert scale(24, False, 199, INT_MAX, 4, 1, INT_MAX, "LEGACY_MAXIMIZE_UTILISATION") == 100


def test_scaling_limited_by_partitions() -> None:
    o = opts(utilization_target=1.0, scale_down_interval_s=0)
    assert compute(evaluated(10, 200, 100, partitions=15), o).key() == change(15, 10, True)
    assert compute(evaluated(10, 199, 100, partitions=15), o).key() == change(15, 10, True)


def _history(*rows: tuple[int, int, float]) -> list[ScalingSummary]:
    return [ScalingSummary(current, new, tpr) for current, new, tpr in rows]


def test_calculate_scaling_coefficient() -> None:
    o = BASE
    assert observed_scaling_coefficient(_history((4, 2, 200), (2, 8, 100), (8, 16, 400)), o) == 1.0
    slight = observed_scaling_coefficient(_history((4, 2, 196), (2, 8, 99), (8, 16, 390)), o)
    assert 0.9 < slight < 1
    sharp = observed_scaling_coefficient(_history((4, 2, 160), (2, 8, 96), (8, 16, 240)), o)
    assert 0.4 < sharp < 0.9
    with_one = observed_scaling_coefficient(_history((1, 2, 50), (2, 4, 80), (4, 8, 100)), o)
    assert 0.4 < with_one < 0.9
    o1 = dataclasses.replace(o, observed_scalability_min_observations=1)
    assert observed_scaling_coefficient(_history((4, 8, 100)), o1) == 1
    assert 0.4 < observed_scaling_coefficient(_history((2, 4, 80), (4, 8, 100)), o1) < 0.9
    assert observed_scaling_coefficient(_history((2, 4, 80), (4, 8, 160)), o1) == 1


@pytest.mark.parametrize("hash_input", [True])
def test_parallelism_scaling_with_observed_scaling_coefficient(hash_input: bool) -> None:
    o = dataclasses.replace(BASE, utilization_target=0.5, observed_scalability=True)
    linear = _history((4, 2, 200), (2, 8, 100), (8, 16, 400))
    assert compute(evaluated(2, 100, 40, hash_input), o, history=linear).key() == change(10, 2, True)
    diminishing = _history((4, 2, 160), (2, 8, 96), (8, 16, 240))
    assert compute(evaluated(2, 100, 40, hash_input), o, history=diminishing).key() == change(15, 2, True)


def test_max_recommended_parallelism_used_after_scale_down_interval() -> None:
    o, d = opts(utilization_target=1.0, scale_down_interval_s=60), DelayedScaleDown()
    assert compute(evaluated(100, 500, 1000), o, delayed=d, now=0).key() == no_change(100)
    assert [p for _, p, _ in d.vertices["v"][1]] == [50]
    assert compute(evaluated(100, 600, 1000), o, delayed=d, now=30).key() == no_change(100)
    assert [p for _, p, _ in d.vertices["v"][1]] == [60]
    assert compute(evaluated(100, 600, 1000), o, delayed=d, now=65).key() == change(60, 100, True)


def test_max_recommended_equal_to_current_is_no_change() -> None:
    o, d = opts(utilization_target=1.0, scale_down_interval_s=60), DelayedScaleDown()
    d.trigger("v", 5, 100, True)
    assert compute(evaluated(100, 800, 1000), o, delayed=d, now=65).key() == no_change(100)


def test_builtin_alignment_modes() -> None:
    """AlignmentModeTest: BALANCED accepts a load-reducing value, EVENLY_SPREAD a divisor, OFF the target."""
    # N=128, target 24 from current 16 (factor 1.5)
    assert scale(16, True, 0, 128, 1.5, 1, INT_MAX, "BALANCED") == 26
    assert scale(16, True, 0, 128, 1.5, 1, INT_MAX, "EVENLY_SPREAD") == 32
    assert scale(16, True, 0, 128, 1.5, 1, INT_MAX, "OFF") == 24
    # current 22, target 25, 35 partitions, upper 30: built-ins keep the target, the legacy mode blocks
    assert scale(22, True, 35, 128, 1.13, 20, 30, "EVENLY_SPREAD") == 25
    assert scale(22, True, 35, 128, 1.13, 20, 30, "BALANCED") == 25
    assert scale(22, True, 35, 128, 1.13, 20, 30, "LEGACY_EVENLY_SPREAD") == 22
    # N=12, target 7 capped at 8: built-ins keep 7, the legacy mode relaxes to the divisor 6
    assert scale(5, True, 12, 8, 1.39, 1, INT_MAX, "EVENLY_SPREAD") == 7
    assert scale(5, True, 12, 8, 1.39, 1, INT_MAX, "LEGACY_EVENLY_SPREAD") == 6
    # no alignment for rebalance inputs
    assert scale(16, False, 0, 128, 1.5, 1, INT_MAX, "BALANCED") == 24
