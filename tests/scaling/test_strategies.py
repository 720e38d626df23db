"""Each strategy on observations whose right answer is computed by hand in the comments."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.scaling.registry import create_strategy
from scaletui.scaling.strategies.ds2 import Ds2Params, Ds2Strategy
from scaletui.scaling.strategies.flink_operator import FlinkOperatorParams, FlinkOperatorStrategy
from scaletui.scaling.strategies.schedule import ScheduleParams, ScheduleStrategy
from scaletui.scaling.strategies.slo_thesis import SloThesisStrategy
from scaletui.scaling.strategies.threshold import ThresholdStrategy
from tests.scaling.helpers import obs, op

REMEMBERS = Ds2Params(memory=600.0)
"""DS2 with the memory of what fell behind that conf/strategies/ds2.toml describes (off by default)."""


def chain(target: float, exp_p: int, exp_rate: float, exp_busy: float, window_p: int = 1, window_busy: float = 100.0):
    """source/parse cheap, `expensive` as given, window selectivity 0.05, sink."""
    return obs(
        op("source", rate=exp_rate, busy=10),
        op("parse", rate=exp_rate, busy=20),
        op("expensive", p=exp_p, rate=exp_rate, busy=exp_busy),
        op("window", p=window_p, rate=exp_rate, busy=window_busy, out=exp_rate * 0.05, keyed=True),
        op("sink", rate=exp_rate * 0.05, busy=1),
        target=target,
    )


def test_ds2_sizes_every_operator_from_true_rates_in_one_decision() -> None:
    # expensive: 400 r/s at 800 ms/s busy on 1 instance -> true rate 500 r/s; target 1200 -> ceil(2.4) = 3
    # window: 400 r/s at 250 ms/s -> 1600 r/s per instance -> ceil(1200 / 1600) = 1
    # parse: 400 r/s at 20 ms/s -> 20000 r/s -> 1
    d = Ds2Strategy().decide(chain(1200, 1, 400, 800, window_busy=250))
    assert d.parallelism == {"source": 1, "parse": 1, "expensive": 3, "window": 1, "sink": 1}
    assert d.taskmanagers == 2  # 3 slots at 2 per TaskManager
    assert "expensive 1->3 (1200/500 r/s)" in d.reason


def test_ds2_propagates_target_by_selectivity() -> None:
    # window emits 5 % -> sink target 1200 * 0.05 = 60 r/s; sink true rate 20 r/s per instance (20 r/s at 1000 ms/s)
    o = chain(1200, 1, 400, 800)
    ops = dict(o.operators)
    ops["sink"] = op("sink", rate=20, busy=1000)
    d = Ds2Strategy().decide(obs(*ops.values(), target=1200))
    assert d.parallelism["sink"] == 3


def test_ds2_keeps_operators_it_cannot_measure() -> None:
    o = chain(1200, 2, 400, 5)  # 5 ms/s busy is below min_busy_ms=20
    assert Ds2Strategy().decide(o).parallelism["expensive"] == 2


def test_strategies_leave_an_operator_busy_on_no_record_as_it_is() -> None:
    """Seen on local Flink (review 37 F1): expensive busy 1000 ms/s with no record handled while the job restarted
    onto a new TaskManager; DS2 and slo-thesis divided by its true rate of 0 and the decision step failed."""
    ops = {**chain(900, 3, 400, 800).operators, "expensive": op("expensive", p=3, rate=0.0, busy=1000.0)}
    assert Ds2Strategy().decide(obs(*ops.values(), target=900)).parallelism["expensive"] == 3
    slo = SloThesisStrategy().decide(obs(*ops.values(), target=900, p99=(2000,) * 3))
    assert slo.parallelism["expensive"] >= 3


def test_ds2_remembers_a_parallelism_that_fell_behind_and_does_not_scale_down_to_it_at_that_rate() -> None:
    s = Ds2Strategy(REMEMBERS)
    # p=4: 900 r/s at 703.125 ms/s busy -> 320 r/s per instance -> ceil(900 / 320) = 3
    at4 = chain(900, 4, 900, 703.125)
    assert s.decide(at4).parallelism["expensive"] == 3  # nothing remembered yet: DS2 as published
    # p=3: 855 r/s at 1000 ms/s -> 285 r/s per instance -> ceil(900 / 285) = 4: 3 fell behind at 900 r/s
    assert s.decide(chain(900, 3, 855, 1000)).parallelism["expensive"] == 4
    d = s.decide(at4)
    assert d.parallelism["expensive"] == 4
    assert "expensive stays 4 (900/320 r/s asks 3; 3 fell behind at 900 r/s)" in d.reason
    assert s.decide(chain(870, 4, 870, 679.6875)).parallelism["expensive"] == 4  # 870 is within 5 % of 900
    # the load falls to 700 r/s: 3 instances were never seen failing at that rate -> ceil(700 / 320) = 3
    assert s.decide(chain(700, 4, 700, 546.875)).parallelism["expensive"] == 3


def test_ds2_forgets_what_it_saw_disproved_or_long_ago() -> None:
    s = Ds2Strategy(REMEMBERS)
    s.decide(chain(900, 3, 855, 1000))  # 3 fell behind at 900
    s.decide(chain(950, 3, 950, 950))  # 3 keeps up at 950 r/s (333 r/s each): the record is wrong
    assert s.decide(chain(900, 4, 900, 703.125)).parallelism["expensive"] == 3
    s = Ds2Strategy(REMEMBERS)
    s.decide(chain(900, 3, 855, 1000))
    later = chain(900, 4, 900, 703.125)
    assert s.decide(replace(later, t=later.t + 601)).parallelism["expensive"] == 3  # memory is 10 min


def test_ds2_without_memory_is_ds2_as_published() -> None:
    s = Ds2Strategy(Ds2Params(memory=0.0))
    s.decide(chain(900, 3, 855, 1000))
    assert s.decide(chain(900, 4, 900, 703.125)).parallelism["expensive"] == 3


def test_transscale_one_measurement_fits_alpha_only() -> None:
    # p=1: 400 r/s at 800 ms/s -> MST(1) = 500 = alpha; beta = 1: MST(p) = 500 p
    # need 900 * 1.1 = 990 -> p = 2 (1000)
    s = create_strategy("transscale")
    d = s.decide(chain(900, 1, 400, 800))
    assert d.parallelism["expensive"] == 2
    model = s.model("expensive")  # type: ignore[attr-defined]
    assert model is not None and model.alpha == pytest.approx(500) and model.beta == 1.0 and model.gamma == 0.0


def test_transscale_two_measurements_at_one_delay_fit_beta() -> None:
    # MST(1) = 500, MST(2) = 700 (2 slots on shared cores) -> beta = log2(1.4) = 0.485
    # need 990: 500 * p^0.485 >= 990 -> p >= 4.09 -> 5
    s = create_strategy("transscale", {"smoothing": 0.0})
    s.decide(chain(400, 1, 400, 800))
    d = s.decide(chain(990 / 1.1, 2, 630, 900))
    model = s.model("expensive")  # type: ignore[attr-defined]
    assert model.beta == pytest.approx(0.4854, abs=1e-3)
    assert d.parallelism["expensive"] == 5


def test_transscale_two_measurements_at_different_delays_fit_gamma() -> None:
    # MST(1, d=0) = 500; MST(2, d=20) = 900 -> alpha = 500, gamma = (1000 - 900) / 20 = 5
    from scaletui.scaling.strategies.transscale import fit_mst

    m = fit_mst([(1, 0.0, 500.0), (2, 20.0, 900.0)])
    assert (m.alpha, m.beta, m.gamma) == (pytest.approx(500), 1.0, pytest.approx(5))
    assert m.predict(4, 20) == pytest.approx(1900)


def test_transscale_three_measurements_fit_all_three() -> None:
    from scaletui.scaling.strategies.transscale import fit_mst

    truth = lambda p, d: 480 * p**0.8 - 3 * d  # noqa: E731
    points = [(1, 0.0, truth(1, 0.0)), (2, 10.0, truth(2, 10.0)), (4, 30.0, truth(4, 30.0)), (6, 30.0, truth(6, 30.0))]
    m = fit_mst(points)
    assert m.beta == pytest.approx(0.8, abs=0.011)
    assert m.alpha == pytest.approx(480, rel=0.02)
    assert m.gamma == pytest.approx(3, abs=0.3)


def test_transscale_scales_down_while_margin_holds_and_uses_the_delay() -> None:
    # alpha 500 linear, p=4, rate 300: MST(1) = 500 >= 300 * 1.3 = 390 -> down to 1
    s = create_strategy("transscale")
    d = s.decide(chain(300, 4, 300, 150))  # 300 r/s at 150 ms/s on 4 -> MST(4) = 2000 -> alpha 500
    assert d.parallelism["expensive"] == 1
    # with 40 ms between the nodes of slots 2 and 3 and gamma 5: MST(2) = 1000 - 200 = 800 < 990 needed for 900
    t = create_strategy("transscale", {"gamma_prior": 5.0})
    matrix = {"a": {"a": 0.0, "b": 40.0}, "b": {"a": 40.0, "b": 0.0}}
    o = obs(*chain(900, 1, 400, 800).operators.values(), target=900, slot_nodes=("a", "b", "b", "b"), matrix=matrix)
    assert t.decide(o).parallelism["expensive"] == 3  # MST(3) = 1500 - 200 = 1300


def test_transscale_takes_no_capacity_from_an_operator_that_processed_nothing() -> None:
    """Seen in the testbed e2e: a sink busy >= min_busy_ms with a processed rate of 0 (its input stalled) recorded
    MST = 0, the fit then predicted 0 at every parallelism, and Transscale asked "sink 1->32" at 100 r/s."""
    s = create_strategy("transscale")
    ops = {**chain(100, 1, 100, 200).operators, "sink": op("sink", rate=0.0, busy=150.0)}
    d = s.decide(obs(*ops.values(), target=100))
    assert d.parallelism["sink"] == 1, d.reason
    assert s.model("sink") is None  # type: ignore[attr-defined]


def test_threshold_follows_the_hpa_formula_and_tolerance() -> None:
    s = ThresholdStrategy()
    # busy 950 / target 700 = 1.357 -> ceil(2 * 1.357) = 3; window 700/700 within tolerance
    d = s.decide(chain(900, 2, 800, 950, window_busy=700))
    assert d.parallelism["expensive"] == 3 and d.parallelism["window"] == 1
    # scale-down waits for the stabilisation window: the high recommendation at t=100 still holds at t=200
    low = chain(100, 3, 100, 100)
    low = obs(*low.operators.values(), target=100, t=200)
    assert s.decide(low).parallelism["expensive"] == 3


def test_slo_thesis_needs_three_violations_in_a_row() -> None:
    s = SloThesisStrategy()
    base = chain(900, 1, 500, 1000, window_busy=400)
    ops = list(base.operators.values())
    assert s.decide(obs(*ops, target=900, p99=(2000, 2000, 500, 2000, 2000))).parallelism == base.parallelism
    # expensive: 900 / (500 r/s per channel) -> 2; window is in the top 2 by busy time -> +2 -> 3
    d = s.decide(obs(*ops, target=900, p99=(500, 2000, 2000, 2000)))
    assert d.parallelism["expensive"] == 2 and d.parallelism["window"] == 3
    assert d.parallelism["parse"] == 1


def test_slo_thesis_adds_a_node_when_the_cluster_is_loaded() -> None:
    s = SloThesisStrategy()
    ops = list(chain(900, 1, 500, 1000).operators.values())
    d = s.decide(obs(*ops, target=900, p99=(2000,) * 3, node_cpu={"n1": 0.95}))
    assert d.taskmanagers == 3  # expensive 2, window 3 -> 3 slots -> 2 TaskManagers, +1 for the loaded node


def test_schedule_applies_the_latest_due_step() -> None:
    plan = (
        {"at": "0s", "parallelism": {"expensive": 1}},
        {"at": "1m", "parallelism": {"expensive": 3}, "taskmanagers": 2},
    )
    s = ScheduleStrategy(ScheduleParams(plan=plan))
    first = chain(100, 1, 100, 100)
    assert s.decide(obs(*first.operators.values(), t=10)).parallelism["expensive"] == 1
    d = s.decide(obs(*first.operators.values(), t=75))
    assert d.parallelism["expensive"] == 3 and d.taskmanagers == 2


def test_only_a_schedule_without_a_plan_says_it_can_never_act() -> None:
    """Review 34 F25: `:strategy schedule` with the file's `plan = []` was accepted in silence."""
    assert "empty plan, so it will never change the job" in ScheduleStrategy().idle_reason()
    assert ScheduleStrategy(ScheduleParams(plan=({"at": "0s", "parallelism": {"x": 1}},))).idle_reason() == ""
    assert Ds2Strategy().idle_reason() == ""


def test_schedule_plan_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"params.plan\[0\].at"):
        create_strategy("schedule", {"plan": [{"at": "soon", "parallelism": {"x": 1}}]})


def test_flink_operator_waits_for_a_full_window_then_applies_its_rule() -> None:
    s = FlinkOperatorStrategy(
        FlinkOperatorParams(metrics_window=30, stabilization_interval=10, catch_up_duration=0, restart_time=0)
    )
    ops = chain(1200, 1, 400, 800).operators.values()
    reasons = [s.decide(obs(*ops, target=1200, t=t)).reason for t in (10, 20)]
    assert all("collecting metrics" in r for r in reasons)
    d = s.decide(obs(*ops, target=1200, t=30))
    # true rate 400 / 0.8 = 500; capacity round(1200 / 0.7) = 1714 -> factor 3.43 -> ceil = 4
    # window: true rate 4000, factor 0.43 -> capped at 1 - 0.6 -> ceil(0.43) = 1, unchanged
    assert d.parallelism["expensive"] == 4 and d.parallelism["window"] == 1
    s.applied(d, obs(*ops, target=1200, t=30), at=32)
    assert "stabilising" in s.decide(obs(*ops, target=1200, t=40)).reason


def test_unknown_and_ill_typed_params_name_the_key() -> None:
    with pytest.raises(ConfigError, match="params.headrom"):
        create_strategy("transscale", {"headrom": 0.2})
    with pytest.raises(ConfigError, match="params.headroom expected a number"):
        create_strategy("transscale", {"headroom": "lots"})
    with pytest.raises(ConfigError, match="params.metrics_window expected a duration"):
        create_strategy("flink-operator", {"metrics_window": "forever"})
    with pytest.raises(ConfigError, match=r"strategy.name: expected none \(no autoscaling\) or one of transscale"):
        create_strategy("magic")


def test_flink_operator_holds_still_while_processing_backlog_and_aligns_sources_to_partitions() -> None:
    from dataclasses import replace

    params = FlinkOperatorParams(
        metrics_window=10, stabilization_interval=0, scale_down_interval=0, catch_up_duration=0, restart_time=0
    )
    # expensive: true rate 400 / 0.2 = 2000 r/s on 4 instances for a 400 r/s target: far under the lower bound
    base = chain(400, 4, 400, 200)
    assert FlinkOperatorStrategy(params).decide(base).parallelism["expensive"] < 4
    # the same with 10 minutes of input waiting at the source: the operator is processing backlog, no scale-down
    lagging = replace(base, backlog=400 * 600.0)
    d = FlinkOperatorStrategy(params).decide(lagging)
    assert d.parallelism["expensive"] == 4 and "within" in d.reason
    # a source reading 6 partitions at 1000 r/s true rate per instance, target 2500: 2500/0.7/1000 = 3.6 -> 4,
    # aligned up to 6 (4 does not divide 6, and 6 is the next parallelism that does)
    ops = dict(base.operators)
    ops["source"] = replace(op("source", rate=1000, busy=1000), source_partitions=6)
    d = FlinkOperatorStrategy(params).decide(replace(base, operators=ops, target_rate=2500))
    assert d.parallelism["source"] == 6


def test_flink_operator_exposes_utilisation_bounds_and_observed_scalability() -> None:
    s = create_strategy(
        "flink-operator", {"utilization_max": 0.9, "utilization_min": 0.2, "observed_scalability": True}
    )
    assert s.options.utilization_max == 0.9 and s.options.utilization_min == 0.2  # type: ignore[attr-defined]
    assert s.options.observed_scalability  # type: ignore[attr-defined]
    assert create_strategy("flink-operator").options.utilization_max is None  # type: ignore[attr-defined]


def test_the_strategy_line_writes_durations_as_durations() -> None:
    """Review 34 F10: `memory="10m"` read back as `memory=600` beside the loop's `every 10s ... cooldown 20s`."""
    from scaletui.scaling.params_text import params_example, params_text

    assert params_text(Ds2Params(memory=600.0, catch_up=20.0)) == (
        "target_utilisation=1 min_busy_ms=20 catch_up=20s memory=10m"
    )
    assert params_example(Ds2Params()) == "target_utilisation = 1, min_busy_ms = 20"
    assert params_text(object()) == "" and params_example(object()) == ""


@pytest.mark.parametrize(
    ("seconds", "typed"),
    [(0.0, "0s"), (1e-05, "0.00001s"), (90.0, "1m30s"), (90.5, "90.5s"), (600.0, "10m"), (7200.0, "2h")],
)
def test_a_duration_parameter_is_written_as_a_user_types_it(seconds: float, typed: str) -> None:
    """`memory=10m`, `1m30s`, `2h` as in the experiment file, never `10m00s` nor a rounded or exponent form, and a
    number in the shortest digits that read back as it (`:g` wrote 0.123456789 as 0.123457)."""
    from scaletui.scaling.params_text import params_text

    written = dict(
        pair.split("=") for pair in params_text(Ds2Params(memory=seconds, target_utilisation=0.123456789)).split()
    )
    assert written["memory"] == typed and parse_duration(typed) == seconds
    assert written["target_utilisation"] == "0.123456789"
