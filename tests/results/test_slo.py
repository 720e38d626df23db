"""The SLO checker on the recorded case, edge cases, and properties over random latency series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scaletui.config.models import SloSpec
from scaletui.errors import SloError
from scaletui.results.rundata import RunData, load_run
from scaletui.results.slo import SloResult, check_run_slo, check_slo


def slo(**fields: float) -> SloSpec:
    return SloSpec.model_validate(fields)


def checked(run_dir: Path, spec: SloSpec | None = None) -> SloResult:
    result = check_run_slo(run_dir, spec)
    assert result is not None
    return result


def test_recorded_run_breaks_its_slo(run_dir: Path) -> None:
    result = checked(run_dir)
    assert not result.passed
    assert (result.violation_s, result.measured_s, result.met_fraction) == (2.0, 10.0, pytest.approx(0.8))
    error = result.error()
    assert isinstance(error, SloError) and error.exit_code == 5
    assert "80.0%" in error.message and "90.0%" in error.message


def test_looser_slo_passes_and_throughput_bound(run_dir: Path) -> None:
    assert checked(run_dir, slo(p99_latency_ms=100, min_fraction=0.8)).passed
    assert checked(run_dir, slo(p99_latency_ms=130)).violation_s == 0.0
    ok = checked(run_dir, slo(min_throughput_fraction=0.95))
    assert ok.passed and ok.throughput_fraction == pytest.approx(0.96)
    bad = checked(run_dir, slo(min_throughput_fraction=0.97))
    assert not bad.passed and "96.0%" in bad.reasons[0]


def _data(latency: list[float]) -> RunData:
    n = len(latency)
    nan = np.full(n, np.nan)
    return RunData(
        run_dir=Path("."),
        meta={},
        experiment={},
        versions={},
        ts=np.arange(n, dtype=float),
        target=nan,
        achieved=nan,
        backlog=nan,
        taskmanagers=nan,
        total_slots=nan,
        free_slots=nan,
        parallelism={},
        busy={},
        latency={"p99": np.array(latency, dtype=float)},
    )


def test_no_latency_measured_fails_a_latency_slo() -> None:
    result = check_slo(slo(p99_latency_ms=50), _data([np.nan, np.nan]))
    assert not result.passed and "no end-to-end latency was recorded" in result.reasons[0]


def test_missing_seconds_count_neither_way() -> None:
    result = check_slo(slo(p99_latency_ms=50, min_fraction=0.5), _data([10, np.nan, 80, 10]))
    assert (result.measured_s, result.violation_s, result.passed) == (3.0, 1.0, True)


def test_run_without_slo_gives_none(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("ts,t_s,operator\n1.0,0.0,map\n")
    assert check_run_slo(tmp_path) is None
    assert load_run(tmp_path).slo is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.floats(0, 500), st.just(float("nan"))), min_size=1, max_size=60),
    st.floats(1, 400),
    st.floats(0.05, 1.0),
)
def test_violation_seconds_bounded_and_verdict_consistent(latency: list[float], bound: float, fraction: float) -> None:
    result = check_slo(slo(p99_latency_ms=bound, min_fraction=fraction), _data(latency))
    assert 0.0 <= result.violation_s <= result.measured_s
    measured = [x for x in latency if x == x]
    assert result.measured_s == pytest.approx(len(measured))
    assert result.violation_s == pytest.approx(sum(1 for x in measured if x > bound))
    if measured:
        assert result.met_fraction is not None and result.passed == (result.met_fraction >= fraction)
    else:
        assert not result.passed
