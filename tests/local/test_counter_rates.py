"""Rates from cumulative counters: Flink's timed by the tasks' own clock, reset on restarts, never a fake zero; a node's
busy cores from its CPU counters held to its cores."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaletui.flink.counter_rates import CounterWindow


def snap(records: float, busy: float, idle: float, bp: float = 0.0) -> dict[str, float]:
    return {
        "numRecordsIn": records,
        "numRecordsOut": records,
        "accumulateBusyTimeMs": busy,
        "accumulateIdleTimeMs": idle,
        "accumulateBackPressuredTimeMs": bp,
    }


def test_first_snapshot_gives_missing_not_zero() -> None:
    rates = CounterWindow().update(snap(100, 10, 10), parallelism=1, now=0.0)
    assert rates.records_out_per_s is None and rates.busy_ms_per_s is None


def test_rates_use_task_time_not_poll_time() -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), parallelism=2, now=0.0)
    # Two subtasks, 2000 ms of task time in all = 1 s of wall time; polled 5 s later (a slow REST reply).
    rates = w.update(snap(300, 500, 1500), parallelism=2, now=5.0)
    assert rates.records_out_per_s == 300.0
    assert rates.busy_ms_per_s == 250.0
    assert rates.idle_ms_per_s == 750.0
    assert rates.measured_at == 5.0


def test_unchanged_reply_keeps_previous_rates() -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), 1, now=0.0)
    first = w.update(snap(100, 200, 800), 1, now=1.0)
    assert w.update(snap(100, 200, 800), 1, now=2.0) == first


def test_restart_resets_the_window() -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), 1, now=0.0)
    w.update(snap(100, 200, 800), 1, now=1.0)
    assert w.update(snap(5, 10, 40), 1, now=2.0).records_out_per_s is None
    assert w.update(snap(105, 110, 940), 1, now=3.0).records_out_per_s == 100.0


def test_parallelism_change_resets_the_window() -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), 1, now=0.0)
    assert w.update(snap(100, 200, 800), 2, now=1.0).records_out_per_s is None


def test_busy_time_dipping_is_not_a_restart() -> None:
    w = CounterWindow()
    w.update(snap(0, 100, 0), 1, now=0.0)
    rates = w.update(snap(50, 90, 1010), 1, now=1.0)
    assert rates.records_out_per_s == 50.0 and rates.busy_ms_per_s == 0.0


def test_partial_reply_is_ignored() -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), 1, now=0.0)
    partial = snap(100, 200, 800)
    del partial["numRecordsIn"]
    assert w.update(partial, 1, now=1.0).records_out_per_s is None


@given(
    rate=st.floats(min_value=0, max_value=1e6),
    busy=st.floats(min_value=0, max_value=1),
    parallelism=st.integers(min_value=1, max_value=64),
    seconds=st.floats(min_value=0.5, max_value=60),
)
def test_recovers_rate_and_busy_share(rate: float, busy: float, parallelism: int, seconds: float) -> None:
    w = CounterWindow()
    w.update(snap(0, 0, 0), parallelism, now=0.0)
    task_ms = seconds * 1000 * parallelism
    rates = w.update(snap(rate * seconds, busy * task_ms, (1 - busy) * task_ms), parallelism, now=seconds)
    assert rates.records_out_per_s is not None and abs(rates.records_out_per_s - rate) <= 1e-6 * max(1.0, rate)
    assert rates.busy_ms_per_s is not None and abs(rates.busy_ms_per_s - 1000 * busy) <= 1e-6


def test_idle_spell_ending_in_the_window_stays_within_a_second_per_second() -> None:
    # Flink counted an open idle spell as busy at the first snapshot; it lands whole in the next idle delta.
    w = CounterWindow()
    w.update(snap(0, 600, 400), 1, now=0.0)
    rates = w.update(snap(10, 150, 1850), 1, now=1.0)  # 1 s of wall time: busy -450 ms, idle +1450 ms
    assert rates.busy_ms_per_s == 0.0 and rates.idle_ms_per_s == 1000.0
    assert rates.backpressured_ms_per_s == 0.0 and rates.records_out_per_s == 10.0


@given(
    busy=st.floats(min_value=-200, max_value=1000),
    idle=st.floats(min_value=600, max_value=1500),
    bp=st.floats(min_value=0, max_value=1500),
)
def test_time_shares_are_within_a_second_and_add_up(busy: float, idle: float, bp: float) -> None:
    w = CounterWindow()
    w.update(snap(0, 1000, 0), 1, now=0.0)
    rates = w.update(snap(1, 1000 + busy, idle, bp), 1, now=1.0)
    shares = (rates.busy_ms_per_s, rates.idle_ms_per_s, rates.backpressured_ms_per_s)
    assert all(s is not None and 0.0 <= s <= 1000.0 + 1e-9 for s in shares)
    assert sum(s for s in shares if s is not None) == pytest.approx(1000.0)


def test_a_node_s_busy_cores_are_held_to_its_cores() -> None:
    """VictoriaMetrics' rate over node_exporter's CPU counters, whose scrape times jitter, read 2.0007 busy cores
    on a 2-core node under load (the stand-in's telemetry test failed so): a node cannot use more than it has."""
    from scaletui.metrics.victoria import _sample

    assert _sample("worker-1", {"cpu_cores": 2.000666, "cpu_total": 2.0}).cpu_cores == 2.0
    assert _sample("worker-1", {"cpu_cores": 1.5, "cpu_total": 2.0}).cpu_cores == 1.5
    assert _sample("worker-1", {"cpu_cores": 1.5}).cpu_cores == 1.5
