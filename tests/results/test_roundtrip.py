"""Property: any JobSample written by the recorder reads back with the same values, missing values as NaN (never 0)."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaletui.events import MetricsEvent
from scaletui.metrics.model import JobSample, OperatorSample
from scaletui.results.recorder import RunRecorder
from scaletui.results.rundata import load_run

maybe_rate = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False))


@st.composite
def samples(draw: st.DrawFn) -> list[JobSample]:
    ops = draw(st.lists(st.sampled_from(["src", "map", "win", "sink"]), min_size=0, max_size=4, unique=True))
    out = []
    for step in range(draw(st.integers(1, 6))):
        operators = {
            name: OperatorSample(
                name,
                draw(st.integers(1, 64)),
                128,
                draw(maybe_rate),
                draw(maybe_rate),
                draw(st.one_of(st.none(), st.floats(0, 1000))),
            )
            for name in ops
        }
        latency = {"p99": draw(maybe_rate)}
        out.append(
            JobSample(
                ts=1000.0 + step,
                operators=operators,
                target_rate=draw(maybe_rate),
                achieved_rate=draw(maybe_rate),
                latency_ms=latency,
                free_slots=draw(st.none()),
            )
        )
    return out


def same(loaded: float, written: float | None) -> bool:
    return math.isnan(loaded) if written is None else loaded == written


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(samples())
def test_written_samples_read_back_exactly(tmp_path: Path, written: list[JobSample]) -> None:
    recorder = RunRecorder(tmp_path, "prop", experiment_name="prop", started_at=1000.0)
    for sample in written:
        recorder.record(MetricsEvent(ts=sample.ts, sample=sample))
    data = load_run(recorder.close(report=False, parquet=False))
    assert list(data.ts) == [s.ts for s in written]
    for i, sample in enumerate(written):
        assert same(data.target[i], sample.target_rate) and same(data.achieved[i], sample.achieved_rate)
        assert math.isnan(data.free_slots[i])
        for name, op in sample.operators.items():
            assert data.parallelism[name][i] == op.parallelism
            assert same(data.busy[name][i], op.busy_ms_per_s)
        p99 = data.latency.get("p99")
        assert same(p99[i] if p99 is not None else math.nan, sample.latency_ms["p99"])
