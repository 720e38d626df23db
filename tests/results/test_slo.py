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
    assert (result.violation_s, result.unmeasured_s, result.judged_s) == (2.0, 0.0, 10.0)
    assert result.met_fraction == pytest.approx(0.8)
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


def test_seconds_with_no_latency_count_against_the_slo_apart_from_those_above_it() -> None:
    """The job down for a rescale measures no latency: it cannot be shown to meet the bound, so it counts against
    the SLO, and the result keeps it apart from the seconds measured above the bound."""
    result = check_slo(slo(p99_latency_ms=50, min_fraction=0.5), _data([10, np.nan, 80, 10]))
    assert (result.judged_s, result.violation_s, result.unmeasured_s, result.met_fraction) == (4.0, 1.0, 1.0, 0.5)
    assert result.passed
    result = check_slo(slo(p99_latency_ms=50, min_fraction=0.6), _data([10, np.nan, 80, 10]))
    assert not result.passed and "1 s above it, 1 s with no latency measured" in result.reasons[0]


def test_a_rescale_gap_follows_the_footnote_and_the_job_duration_is_the_denominator() -> None:
    """sim-hour-ds2's case: a step above the bound, then 2 s of rescale with no latency. Each step stands for the
    time since the one before it, so every second of the job is counted once: above, within or unmeasured."""
    latency = [10.0] * 5 + [900.0, np.nan, np.nan] + [10.0] * 12
    result = check_slo(slo(p99_latency_ms=500, min_fraction=0.8), _data(latency))
    assert (result.judged_s, result.violation_s, result.unmeasured_s) == (20.0, 1.0, 2.0)
    assert result.met_fraction == pytest.approx(17 / 20)


def test_an_interrupted_run_is_not_judged_everywhere(run_dir: Path, tmp_path: Path) -> None:
    """A run cut short has not shown that it holds its SLO: no pass in the report, summary, compare or session, and
    --check-slo fails saying why."""
    import json
    import shutil

    from scaletui.results.compare import comparison_table
    from scaletui.results.report import report_run
    from scaletui.results.summary import summarize

    cut = Path(shutil.copytree(run_dir, tmp_path / "cut"))
    meta = json.loads((cut / "run.json").read_text())
    (cut / "run.json").write_text(json.dumps({**meta, "status": "interrupted"}))
    result = checked(cut, slo(p99_latency_ms=500))  # every second within the bound: still no verdict
    assert not result.passed and result.not_judged == "run interrupted after 10.0 s of 10 s"
    assert "passed" not in result.as_dict()
    error = result.error()
    assert isinstance(error, SloError) and "not judged: run interrupted after 10.0 s of 10 s" in error.message
    _, summary = report_run(cut, slo(p99_latency_ms=500), plots=False)
    assert "| SLO | not judged (run interrupted after 10.0 s of 10 s) |" in (cut / "report.md").read_text()
    assert "slo_passed" not in summary.as_dict() and summary.value("slo_passed") is None
    table = comparison_table([summarize(load_run(run_dir)), summary])
    assert "| SLO | FAIL | not judged | — |" in table


def test_headless_check_report_and_compare_count_the_same_seconds(run_dir: Path) -> None:
    from scaletui.results.compare import comparison_table
    from scaletui.results.summary import summarize

    result = checked(run_dir)
    summary = summarize(load_run(run_dir))
    assert summary.value("slo_violation_s") == result.violation_s + result.unmeasured_s
    row = next(i.text for i in summary.items if i.key == "slo_violation_s")
    assert f"| {row} |" in comparison_table([summary, summary])


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
    assert result.judged_s == pytest.approx(len(latency))
    measured = [x for x in latency if x == x]
    assert result.violation_s == pytest.approx(sum(1 for x in measured if x > bound))
    assert result.unmeasured_s == pytest.approx(len(latency) - len(measured))
    if measured:
        within = sum(1 for x in measured if x <= bound)
        assert result.met_fraction == pytest.approx(within / len(latency))
        assert result.passed == (result.met_fraction >= fraction)
    else:
        assert not result.passed
