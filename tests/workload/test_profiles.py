"""Load profiles built from experiment [load] tables, their rates, and the errors for bad parameters and traces."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaletui.config.models import LoadSpec
from scaletui.errors import ConfigError
from scaletui.workload.profiles import BUILDERS, PARAMETERS, build_profile


def build(profile: str, base_dir: Path | None = None, **params: object):
    return build_profile(LoadSpec(profile=profile, **params), base_dir)


def test_constant_and_step() -> None:
    assert build("constant", rate=500).rate_at(1234) == 500
    step = build("step", rate=300, steps=[["1m", 900], [300, 500]])
    assert [step.rate_at(t) for t in (0, 59.9, 60, 299, 300, 10_000)] == [300, 300, 900, 900, 500, 500]


def test_ramp_sine_spike() -> None:
    ramp = build("ramp", start=100, end=1100, duration="100s", at=50)
    assert [ramp.rate_at(t) for t in (0, 50, 100, 150, 500)] == [100, 100, 600, 1100, 1100]
    sine = build("sine", mean=500, amplitude=200, period="4m")
    assert sine.rate_at(0) == pytest.approx(500)
    assert sine.rate_at(60) == pytest.approx(700)
    assert sine.rate_at(180) == pytest.approx(300)
    spike = build("spike", rate=400, peak=1200, at=100, duration=20, every=200)
    assert [spike.rate_at(t) for t in (99, 100, 119, 120, 300, 319, 320)] == [400, 1200, 1200, 400, 1200, 1200, 400]


def test_replay_interpolates_holds_loops_and_scales(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_text("t,rate\n0,100\n10,200\n20,0\n")
    linear = build("replay", base_dir=tmp_path, file="trace.csv")
    assert [linear.rate_at(t) for t in (-5, 0, 5, 10, 15, 20, 99)] == [100, 100, 150, 200, 100, 0, 0]
    held = build("replay", file=str(trace), interpolate="hold", scale=2.0, loop=True)
    assert [held.rate_at(t) for t in (5, 15, 25, 35)] == [200, 400, 200, 400]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("t,rate\n", "no t,rate rows"),
        ("0,100\n5\n", "line 2 expected two columns"),
        ("0,100\n5,abc\n", "line 2 expected numbers"),
        ("0,100\n5,-1\n", "line 2 expected a finite time and a rate of 0 or more"),
        ("0,100\n5,100\n5,200\n", "line 3 expected times in increasing order"),
    ],
)
def test_bad_trace_names_the_line(tmp_path: Path, content: str, expected: str) -> None:
    trace = tmp_path / "bad.csv"
    trace.write_text(content)
    with pytest.raises(ConfigError, match=expected):
        build("replay", file=str(trace))


def test_missing_trace_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such trace file"):
        build("replay", file=str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    ("profile", "params", "expected"),
    [
        ("constant", {}, r"load.rate: expected a rate .* required"),
        ("constant", {"rate": -5}, r"load.rate: expected a rate in records per second, 0 or more"),
        ("constant", {"rate": 5, "rat": 3}, r"load.rat: is not a parameter of the constant profile"),
        ("step", {"rate": 1, "steps": [[10, 5], [5, 6]]}, r"load.steps\[1\]\[0\]: expected times in increasing order"),
        ("step", {"rate": 1, "steps": [[10]]}, r"load.steps\[0\]: expected a \[time, rate\] pair"),
        ("ramp", {"start": 1, "end": 2, "duration": "0s"}, r"load.duration: expected a duration greater than zero"),
        ("sine", {"mean": 1, "amplitude": 1, "period": "soon"}, r"load.period: expected a duration"),
        ("replay", {"file": "x.csv", "interpolate": "cubic"}, r"load.interpolate: expected \"linear\" or \"hold\""),
        ("wave", {}, r"load.profile: expected one of constant, step, ramp, sine, spike, replay"),
    ],
)
def test_bad_parameters_name_the_key(profile: str, params: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        build(profile, **params)


FULL = {
    "constant": {"rate": 1},
    "step": {"rate": 1, "steps": [["1m", 2]]},
    "ramp": {"start": 1, "end": 2, "duration": "1m", "at": "10s"},
    "sine": {"mean": 1, "amplitude": 1, "period": "1m", "phase": "5s"},
    "spike": {"rate": 1, "peak": 2, "at": "10s", "duration": "5s", "every": "1m"},
    "replay": {"file": "trace.csv", "scale": 2.0, "interpolate": "hold", "loop": True},
}


@pytest.mark.parametrize("profile", list(BUILDERS))
def test_a_profile_takes_exactly_its_declared_parameters(profile: str, tmp_path: Path) -> None:
    """PARAMETERS, what `:load PROFILE <Tab>` offers, is what the builder reads: a table of all of them builds (a
    declared key never read would be refused as unknown; _Params.take refuses to read an undeclared one)."""
    (tmp_path / "trace.csv").write_text("0,100\n10,200\n")
    assert set(FULL[profile]) == set(PARAMETERS[profile])
    build(profile, tmp_path, **FULL[profile])


@given(
    mean=st.floats(0, 1e5),
    amplitude=st.floats(0, 1e5),
    period=st.floats(1, 1e4),
    t=st.floats(0, 1e6),
)
def test_rates_are_never_negative(mean: float, amplitude: float, period: float, t: float) -> None:
    assert build("sine", mean=mean, amplitude=amplitude, period=period).rate_at(t) >= 0
