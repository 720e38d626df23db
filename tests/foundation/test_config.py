"""Every file under conf/ validates; a bad one names the file, the key and what was expected."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scaletui.config.loader import load_app_config, load_experiment, load_platform, load_strategy
from scaletui.config.units import format_duration, human_duration, parse_duration
from scaletui.errors import ConfigError

CONF = Path(__file__).parents[2] / "conf"


@pytest.mark.parametrize("path", sorted(CONF.glob("experiments/*.toml")), ids=lambda p: p.name)
def test_shipped_experiments_validate(path: Path) -> None:
    from scaletui.workload.profiles import build_profile

    experiment = load_experiment(path)
    assert experiment.experiment.duration > 0
    assert (CONF / "platforms" / f"{experiment.experiment.platform}.toml").is_file()
    assert build_profile(experiment.load).rate_at(0) >= 0


@pytest.mark.parametrize("path", sorted(CONF.glob("platforms/*.toml")), ids=lambda p: p.name)
def test_shipped_platforms_validate(path: Path) -> None:
    assert load_platform(path).platform.name


@pytest.mark.parametrize("path", sorted(CONF.glob("strategies/*.toml")), ids=lambda p: p.name)
def test_shipped_strategies_validate(path: Path) -> None:
    assert load_strategy(path).strategy.name == path.stem


def test_app_config_and_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = load_app_config(str(CONF / "scaletui.toml"))
    assert config.refresh.metrics == 1.0 and config.theme == "dark"
    monkeypatch.setenv("SCALETUI_THEME", "light")
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    config = load_app_config(str(CONF / "scaletui.toml"))
    assert config.theme == "light" and config.paths.sessions == str(tmp_path / "sessions")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[experiment]\nname = "x"\n', r"bad\.toml: key experiment\.duration is missing and required"),
        ('[experiment]\nname = "x"\nduration = "soon"\n', r"key experiment\.duration expected a duration like 90"),
        ('[experiment]\nname = "x"\nduration = 60\n[job]\ntaskmanager = 2\n', r"key job\.taskmanager is not a known"),
        ('[experiment]\nname = "x"\nduration = 60\n[job]\ncost_ms = -1\n', r"key job\.cost_ms expected .*greater"),
        ('[experiment]\nname = "x"\nduration = 60\n[job]\nwait_ms = 2000\n', r"key job\.wait_ms expected .*less"),
        (
            '[experiment]\nname = "x"\nduration = 60\n[strategy]\ninterval = "0s"\n',
            r"key strategy\.interval expected .*greater",
        ),
        (
            '[experiment]\nname = "x"\nduration = 60\n[[faults]]\nat = 90\nkind = "kill"\nduration = 5\n',
            r"faults\[0\]\.at = 90 is after the run's end \(duration 60s\)",
        ),
        ('[experiment\nname = "x"\n', r"bad\.toml: not valid TOML: .*line 1"),
    ],
)
def test_experiment_errors_name_file_key_and_expectation(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


def test_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: no such file\."):
        load_experiment(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        ("90s", 90.0),
        ("3m", 180.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        (1.5, 1.5),
        ("15", 15.0),
        (" 2.5 ", 2.5),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", ["", "3 weeks", "m5", True, -1, "5x", "-5", "1.", "15 s 3", math.inf, -math.inf, math.nan, "inf"]
)
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match=r'a duration like 90, "90s", "3m" or "1h30m"|not negative'):
        parse_duration(value)


def test_a_duration_that_is_not_finite_is_shown_as_typed() -> None:
    """Review 36 F4: human_duration formats what a user typed, and int(inf) raised OverflowError (int(nan) a
    ValueError) out of a refusal's own sentence."""
    assert [human_duration(v) for v in (math.inf, -math.inf, math.nan)] == ["inf", "-inf", "nan"]


def test_format_duration() -> None:
    assert [format_duration(s) for s in (5, 75, 3725)] == ["5s", "1m15s", "1h02m"]


def test_the_fault_kinds_the_pane_offers_are_those_experiment_files_take() -> None:
    """chaos/kinds.py (pydantic-free, for the Chaos pane's first frame) and config's FaultKind list the same kinds."""
    from typing import get_args

    from scaletui.chaos.kinds import EXAMPLES, KINDS
    from scaletui.config.models import FaultKind

    assert get_args(FaultKind) == KINDS and set(EXAMPLES) == set(KINDS)
