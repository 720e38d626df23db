"""Each strategy on traces small enough to compute by hand, and the streak rules of greedy."""

from __future__ import annotations

import pytest

from scaletui.capacity.config import CapacityConfig
from scaletui.capacity.estimator import ResourceEstimator
from scaletui.capacity.scopes import Scope
from scaletui.capacity.stability import MeanShiftTest, PercentileShiftTest
from scaletui.capacity.strategies import (
    DoaStrategy,
    FixedRatioStrategy,
    GreedyStrategy,
    NSigmaStrategy,
    PercentileStrategy,
    ScopeContext,
)


def scopes(*values: tuple[float, ...]) -> list[Scope]:
    return [Scope(i, i * 10.0, (i + 1) * 10.0, tuple(v)) for i, v in enumerate(values)]


def run(strategy, values, size=10.0, booked=None, history=4, stability=None):
    est = ResourceEstimator(strategy, stability or MeanShiftTest(), history, size, booked)
    return est, [est.close(s).estimate for s in scopes(*values)]


def test_every_usage_strategy_starts_at_booked():
    for strategy in (PercentileStrategy(95), DoaStrategy(), GreedyStrategy(), NSigmaStrategy(3)):
        est = ResourceEstimator(strategy, MeanShiftTest(), 4, 10.0, booked=6.0)
        assert est.estimate == 6.0 and est.free == 4.0


def test_unknown_booking_counts_as_the_whole_node():
    est = ResourceEstimator(DoaStrategy(), MeanShiftTest(), 4, 10.0, booked=None)
    assert est.estimate == 10.0 and est.free == 0.0


def test_percentile_over_the_history_window():
    # p50 of [1,2,3,4] is 2.5; with a window of 2 the first scope ages out: p50 of [3,4,5,6] is 4.5
    _, out = run(PercentileStrategy(50), [(1, 2), (3, 4), (5, 6)], history=2, booked=0)
    assert out == pytest.approx([1.5, 2.5, 4.5])


def test_doa_lowers_by_a_twentieth_and_raises_by_a_half():
    # size 10, booked 6: under 9.5 -> -0.5, at or over 9.5 -> +5 (capped at the size)
    _, out = run(DoaStrategy(), [(5,), (5,), (9.5,), (5,), (9.9,), (1,)], booked=6.0)
    assert out == pytest.approx([5.5, 5.0, 10.0, 9.5, 10.0, 9.5])


def test_doa_floor_caps_oversubscription_at_three():
    # booked 25 on a node of 10: floor = 25 - 2*10 = 5, whatever the number of quiet scopes
    est, out = run(DoaStrategy(), [(0.1,)] * 30, booked=25.0)
    assert out[0] == 10.0 and out[-1] == pytest.approx(5.0) and min(out) == pytest.approx(5.0)
    ratio = (est.booked + est.size - est.estimate) / est.size
    assert ratio == pytest.approx(3.0)


def test_doa_floor_is_zero_when_little_is_booked():
    _, out = run(DoaStrategy(), [(0.1,)] * 30, booked=2.0)
    assert out[-1] == 0.0


def test_greedy_mean_plus_k_std_with_streak():
    g = GreedyStrategy()
    # [1,3] has mean 2 and std 1. First scope: nothing to compare, streak 3, k 5 -> 7
    # then stable twice: streak 4 (k 4) -> 6, streak 5 (k 3) -> 5, stays 5 -> 5
    # then [5,7] (mean up, unstable): streak 4, k 4, window s1..s4 = [1,3]*3+[5,7]: mean 3 std 2 -> 11
    # then [0,0] (mean down, unstable): streak stays 4; window [1,3,1,3,5,7,0,0]: mean 2.5, std sqrt(5.5)
    est, out = run(g, [(1, 3), (1, 3), (1, 3), (1, 3), (5, 7), (0, 0)], size=20.0, booked=20.0)
    assert [r.stable for r in est.records] == [False, True, True, True, False, False]
    assert out[:5] == pytest.approx([7.0, 6.0, 5.0, 5.0, 11.0])
    assert g.streak == 4 and g.k == 4
    assert out[5] == pytest.approx(2.5 + 4 * 5.5**0.5)


def ctx(stable: bool, mean_now: float, mean_before: float | None) -> ScopeContext:
    now = Scope(1, 10, 20, (mean_now,))
    before = Scope(0, 0, 10, (mean_before,)) if mean_before is not None else None
    window = (before, now) if before else (now,)
    return ScopeContext(scope=now, window=window, previous=before, stable=stable, size=100.0, booked=0.0)


def test_greedy_streak_rises_after_stable_scopes_and_stops_at_five():
    g = GreedyStrategy()
    assert (g.streak, g.k) == (3, 5)
    streaks = []
    for _ in range(4):
        g.update(ctx(True, 1, 1))
        streaks.append((g.streak, g.k))
    assert streaks == [(4, 4), (5, 3), (5, 3), (5, 3)]


def test_greedy_streak_falls_only_when_an_unstable_mean_went_up_and_stops_at_three():
    g = GreedyStrategy()
    g.streak = 5
    g.update(ctx(False, 2, 1))
    assert g.streak == 4
    g.update(ctx(False, 1, 2))  # unstable, mean went down: unchanged
    assert g.streak == 4
    g.update(ctx(False, 1, 1))  # unstable, mean equal: unchanged
    assert g.streak == 4
    for _ in range(3):
        g.update(ctx(False, 5, 1))
    assert (g.streak, g.k) == (3, 5)


def test_greedy_first_scope_keeps_streak_at_three():
    g = GreedyStrategy()
    g.update(ctx(False, 9, None))
    assert g.streak == 3


def test_nsigma_and_fixed_ratio():
    _, out = run(NSigmaStrategy(2), [(1, 3)], booked=0)
    assert out == pytest.approx([4.0])
    est, out = run(FixedRatioStrategy(2), [(9, 9), (1, 1)], booked=6.0)
    assert est.records[0].estimate_before == 3.0 and out == [3.0, 3.0]


def test_estimates_are_clamped_to_the_node():
    _, out = run(NSigmaStrategy(3), [(0, 20)], size=10.0, booked=0)
    assert out == [10.0]


def test_mean_shift_test():
    t = MeanShiftTest(threshold=1.0, tolerance=0.0)
    history = scopes((1, 3), (1, 3))  # mean 2, std 1
    assert t.is_stable(history, Scope(9, 0, 1, (2.9, 3.0)), 10)
    assert not t.is_stable(history, Scope(9, 0, 1, (3.5, 3.5)), 10)
    assert not t.is_stable([], Scope(9, 0, 1, (2,)), 10)
    flat = scopes((5, 5))
    assert MeanShiftTest(tolerance=0.02).is_stable(flat, Scope(9, 0, 1, (5.1,)), 10)
    assert not MeanShiftTest(tolerance=0.0).is_stable(flat, Scope(9, 0, 1, (5.1,)), 10)


def test_percentile_shift_test():
    t = PercentileShiftTest(percentile=50, ratio=0.1, tolerance=0.0)
    history = scopes((10, 10), (10, 10))
    assert t.is_stable(history, Scope(9, 0, 1, (10.9,)), 100)
    assert not t.is_stable(history, Scope(9, 0, 1, (11.5,)), 100)
    assert not t.is_stable(history, Scope(9, 0, 1, (8.5,)), 100)


def test_config_builds_each_strategy_and_test():
    names = {
        s: CapacityConfig(strategy=s).build_strategy().name
        for s in ("percentile", "doa", "greedy", "nsigma", "fixed-ratio")
    }
    assert names == {
        "percentile": "percentile-95",
        "doa": "doa",
        "greedy": "greedy",
        "nsigma": "nsigma-3",
        "fixed-ratio": "fixed-2",
    }
    assert CapacityConfig(stability={"test": "percentile"}).stability.build().name == "percentile"
    cfg = CapacityConfig(scope="2m", taskmanager={"cpu": 2, "memory": "2g"})
    assert cfg.scope == 120.0 and cfg.taskmanager.memory == 2 * 1024**3
