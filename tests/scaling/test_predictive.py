"""The predictive strategy's parts on numbers worked out by hand: the capacity model, the forecast, the plan, and
decisions on hand-made observations."""

from __future__ import annotations

import numpy as np
import pytest

from scaletui.scaling.observation import Observation
from scaletui.scaling.registry import create_strategy
from scaletui.scaling.strategies.capacity_model import CapacityModel
from scaletui.scaling.strategies.queue_plan import PlanSettings, _segment, plan
from scaletui.scaling.strategies.rate_forecast import RateForecast
from tests.scaling.helpers import obs, op


def test_capacity_is_measured_where_run_and_interpolated_between() -> None:
    m = CapacityModel(beta_prior=0.5)
    assert m.predict(1) is None
    m.observe(1, 400.0, 0.8, None, 0.0)  # MST(1) = 500
    assert m.predict(1) == pytest.approx(500)
    assert m.predict(4) == pytest.approx(500 * 4**0.5)  # the prior exponent until a second parallelism is seen
    m.observe(4, 900.0, 0.9, None, 10.0)  # MST(4) = 1000
    # between measured points: the power law through them, 500 * 2^(log(2)/log(4)) = 707
    assert m.predict(2) == pytest.approx(707.1, rel=1e-3)
    assert m.smallest_covering(950, 8) == 4 and m.smallest_covering(5000, 8) == 8


def test_node_cpu_corrects_busy_time_on_a_shared_node() -> None:
    # 600 r/s at 60 % busy looks like 1000 r/s of capacity, but the node's CPU is 94 % used: 638 r/s
    m = CapacityModel()
    assert m.observe(2, 600.0, 0.6, 0.94, 0.0) == pytest.approx(638.3, rel=1e-3)
    assert m.observe(2, 600.0, 0.6, None, 1.0) == pytest.approx(1000)
    assert CapacityModel().observe(2, 10.0, 0.05, None, 0.0) is None  # too idle to measure


def test_a_lightly_used_parallelism_is_capped_by_the_well_used_ones() -> None:
    m = CapacityModel(beta_prior=0.5, beta_min=0.5)
    m.observe(1, 480.0, 0.96, None, 0.0)  # MST(1) = 500, measured near saturation
    m.observe(8, 900.0, 0.3, None, 10.0)  # busy time says 3000 r/s, but at 30 % use on shared nodes
    assert m.predict(8) == pytest.approx(500 * 8**0.5)  # what p = 1 extrapolates to, not 3000
    assert m.fit() == pytest.approx((500.0, 0.5))  # the light point teaches no exponent either


def test_predictions_never_fall_as_parallelism_grows() -> None:
    m = CapacityModel()
    m.observe(2, 900.0, 0.9, None, 0.0)  # 1000
    m.observe(3, 810.0, 0.9, None, 0.0)  # 900: a noisy or contended point below p=2
    assert m.predict(3) == pytest.approx(1000)


def forecast(points: list[tuple[float, float]]) -> RateForecast:
    f = RateForecast(level_window=1.0, trend_window=120.0, damping=1.0)
    f.add(tuple(t for t, _ in points), tuple(r for _, r in points))
    return f


def test_a_ramp_is_extrapolated_and_a_step_is_not() -> None:
    ramp = forecast([(t, 300.0 + 2.0 * t) for t in range(121)])
    assert ramp.trend() == pytest.approx(2.0)
    assert ramp.path(1, 60.0) == pytest.approx((540 + 60,))
    step = forecast([(t, 300.0 if t < 100 else 900.0) for t in range(121)])
    assert step.trend() == 0.0
    assert step.path(3, 10.0) == pytest.approx((900, 900, 900))
    assert ramp.path(2, 10.0) == pytest.approx((540 + 10, 540 + 30))


def test_a_queue_segment_counts_the_seconds_above_the_slo() -> None:
    # 100 r/s more than the capacity, from an empty queue: the 500-record limit (1 s of 500 r/s) is crossed at 5 s
    end, above = _segment(np.array([0.0]), 400.0, np.array([500.0]), 10.0, 1.0)
    assert end[0] == pytest.approx(1000) and above[0] == pytest.approx(5.0)
    # draining 2000 records at 200 r/s of spare: above the limit for (2000 - 500) / 200 = 7.5 s, empty at 10 s
    end, above = _segment(np.array([2000.0]), 700.0, np.array([500.0]), 12.0, 1.0)
    assert end[0] == 0.0 and above[0] == pytest.approx(7.5)


CAPS = [500.0, 610.0, 850.0, 1090.0, 1280.0]
SETTINGS = PlanSettings(epoch_s=10.0, downtime_s=2.0, cooldown_epochs=2, slo_s=0.8, violation_cost=30.0)


def flat(rate: float, epochs: int = 30) -> list[float]:
    return [rate] * epochs


def test_the_plan_scales_up_to_drain_a_queue_and_keeps_a_job_that_copes() -> None:
    # 900 r/s on 3 slots (850 r/s) with 5 s queued: 4 slots keep up but drain slowly; the plan takes 5 to drain it
    # within seconds and, with the rate flat, that is worth a slot over the horizon
    up = plan(CAPS, 3, 4500.0, flat(900.0), SETTINGS)
    assert up.slots in (4, 5) and up.costs[up.slots] < up.costs[3]
    # 700 r/s on 3 slots: nothing queued and nothing to gain
    assert plan(CAPS, 3, 0.0, flat(700.0), SETTINGS).slots == 3


def test_a_scale_down_is_taken_when_its_saving_outweighs_its_restart() -> None:
    # 300 r/s on 4 slots: one slot carries it with 200 r/s spare, so three slots saved for five minutes beat the
    # restart; with a rescale priced above what the horizon saves, the job stays
    assert plan(CAPS, 4, 0.0, flat(300.0), SETTINGS).slots == 1
    dear = PlanSettings(**{**SETTINGS.__dict__, "rescale_cost": 5000.0})
    assert plan(CAPS, 4, 0.0, flat(300.0), dear).slots == 4
    # 480 r/s: one slot would run at 96 %, and the restart's 2 s of input would take 100 s to drain: two slots
    assert plan(CAPS, 4, 0.0, flat(480.0), SETTINGS).slots == 2


def test_waiting_for_taskmanagers_is_priced() -> None:
    # 1000 r/s on 3 slots: 4 slots need a TaskManager that takes 60 s to start, 5 slots are free to take now
    lead = [0.0, 0.0, 0.0, 60.0, 0.0]
    assert plan(CAPS, 3, 0.0, flat(1000.0), SETTINGS, lead).slots == 5
    assert plan(CAPS, 3, 0.0, flat(1000.0), SETTINGS).slots == 4


def test_analogues_are_the_moments_at_the_same_level_and_what_followed() -> None:
    # 300 r/s and 900 r/s in turns of 300 s: at 900 now, the analogues are earlier 900 s, each followed by 300
    f = RateForecast(level_window=1.0)
    points = [(float(t), 300.0 if (t // 300) % 2 == 0 else 900.0) for t in range(1800)]
    f.add(tuple(t for t, _ in points), tuple(r for _, r in points))
    paths = f.paths(epochs=30, epoch_s=10.0, count=12, history_s=1800.0)
    assert paths and all(p[0] == pytest.approx(900) for p in paths)
    assert any(min(p) == pytest.approx(300) for p in paths)  # some turn back down within the horizon
    assert f.paths(epochs=30, epoch_s=10.0, count=12, history_s=1800.0, tolerance=0.0) == paths  # exact levels
    fresh = RateForecast(level_window=1.0)
    fresh.add((0.0, 1.0, 2.0), (300.0, 300.0, 1300.0))
    assert fresh.paths(epochs=30, epoch_s=10.0, count=12, history_s=1800.0) == []  # a level never seen


def steady(target: float, p: int, rate: float, busy: float, t: float, p99: float = 200.0) -> Observation:
    ops = (
        op("source", rate=rate, busy=10),
        op("parse", rate=rate, busy=20),
        op("expensive", p=p, rate=rate, busy=busy),
        op("window", rate=rate, busy=50, out=rate * 0.05, keyed=True),
        op("sink", rate=rate * 0.05, busy=1),
    )
    o = obs(*ops, target=target, t=t, taskmanagers=4, p99=(p99,) * 10)
    times = tuple(t - 9 + i for i in range(10))
    return Observation(**{**o.__dict__, "target_series": (target,) * 10, "sample_times": times})


def test_predictive_scales_up_for_the_rate_and_the_queue_and_down_when_it_pays() -> None:
    s = create_strategy("predictive")
    # MST(1) = 400 / 0.8 = 500; the rate steps to 900 with 3 s of p99: ~2500 records queued. With beta 0.5,
    # MST(4) = 1000 is the least count that keeps up at 97 % use; the plan may take more to drain the queue
    d = s.decide(steady(900, 1, 400, 800, t=100, p99=3000))
    assert d.parallelism["expensive"] >= 4
    assert "queued 2.5 s" in d.reason and "expensive 1->" in d.reason
    assert d.taskmanagers == s.taskmanagers_for(d.parallelism, steady(900, 1, 400, 800, t=100)) + 1  # one spare
    # the rate falls to 300: one slot carries it with 185 r/s to spare, so the restart's 2 s of input drains in
    # seconds and the slots saved over the next five minutes pay for it at once
    p = d.parallelism["expensive"]
    down = s.decide(steady(300, p, 300, 300, t=130))
    assert down.parallelism["expensive"] == 1
    # at 1 slot and 300 r/s, nothing is worth a restart
    assert s.decide(steady(300, 1, 300, 600, t=160)).parallelism["expensive"] == 1
