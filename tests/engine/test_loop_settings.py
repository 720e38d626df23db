"""Review 34 F9: the loop's interval, window and cooldown could not be changed while it ran (`:strategy ds2
interval=5s` said "params.interval is not a parameter of this strategy"). They are the loop's settings, beside a
strategy's parameters: a strategy step (the `:` line, the strategy form, an experiment's timeline) sets them, checked
at the edge, and the run's records, its replay and the strategy line show the change."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import tomli_w

from scaletui.config.models import StrategySpec
from scaletui.engine.replay import ReplayPlayer
from scaletui.errors import ConfigError
from scaletui.headless.runner import run_experiment_file
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.loop_settings import check_loop, split_loop
from scaletui.scaling.registry import create_strategy
from tests.engine.test_controller_actuation import cluster

ROOT = Path(__file__).parents[2]
EXPERIMENT = """
[experiment]
name = "loop"
platform = "simulator"
duration = "4m"

[job]
taskmanagers = 2
slots_per_taskmanager = 2

[load]
profile = "constant"
rate = 300

[strategy]
name = "ds2"
interval = "15s"
window = "15s"
cooldown = "30s"

[[timeline]]
at = "2m"
do = "strategy"
name = "ds2"
interval = "5s"
cooldown = "10s"
"""


def test_loop_settings_are_split_from_a_strategys_parameters_and_checked() -> None:
    assert split_loop({"interval": "5s", "memory": "10m"}) == ({"interval": "5s"}, {"memory": "10m"})
    assert check_loop({"interval": "5s", "window": 30, "cooldown": "0s"}) == {
        "interval": 5,
        "window": 30,
        "cooldown": 0,
    }
    with pytest.raises(ConfigError, match=r"interval=0s: the time between decisions takes a duration from 1s"):
        check_loop({"interval": "0s"})
    with pytest.raises(ConfigError, match=r"window=soon: the metrics window each decision reads takes a duration"):
        check_loop({"window": "soon"})
    with pytest.raises(ConfigError, match=r"steps is not a setting of the loop \(known: interval, window, cooldown, "):
        check_loop({"steps": 3})


def test_a_new_interval_counts_from_now() -> None:
    sim = cluster()
    spec = StrategySpec(name="ds2", interval=15, window=15, cooldown=30)
    ctl = ScalingController(sim, create_strategy("ds2"), spec, clock=sim.clock)
    assert ctl._samples.maxlen == 60, "four windows of 15 one-second samples"
    ctl.run(threading.Event(), until=sim.now + 20)
    ctl.set_loop({"interval": 5.0, "window": 5.0})
    assert ctl._samples.maxlen == 20, "the buffer follows the new window (review 35 F11: one _samples_kept)"
    assert ctl.time_to_next_decision() == pytest.approx(5.0)
    assert ctl.spec.loop().items() >= {"interval": 5.0, "window": 5.0, "cooldown": 30.0}.items()
    assert ctl.status().settings.startswith("every 5s over 5s, cooldown 30s, parallelism 1-8")


def test_a_strategy_step_sets_the_loop_and_the_records_and_the_replay_show_it(tmp_path: Path) -> None:
    settings = tmp_path / "scaletui.toml"
    paths = {p: str(tmp_path / p) for p in ("sessions", "results", "cache")} | {"conf": str(ROOT / "conf")}
    settings.write_text(tomli_w.dumps({"paths": paths}))
    experiment = tmp_path / "loop.toml"
    experiment.write_text(EXPERIMENT)
    assert run_experiment_file(experiment, config_file=str(settings), out=str(tmp_path / "out")) == 0
    (run,) = [p for p in (tmp_path / "out").glob("*/*") if (p / "run.json").is_file()]
    state = [json.loads(line) for line in (run / "state.jsonl").read_text().splitlines()]
    changes = [s for s in state if s["type"] == "StrategyChanged"]
    assert changes[0]["loop"] == {}, "the file's settings are not a change the session keeps"
    assert changes[-1]["loop"] == {"interval": 5, "cooldown": 10}
    assert changes[-1]["settings"].startswith("every 5s over 15s, cooldown 10s") and changes[-1]["t_s"] == 120
    kept = [d["t_s"] for d in map(json.loads, (run / "decisions.jsonl").read_text().splitlines()) if not d["applied"]]
    gaps = {round(b - a) for a, b in zip(kept, kept[1:], strict=False)}
    assert 15 in gaps and 5 in gaps, kept
    assert all(round(b - a) >= 15 for a, b in zip(kept, kept[1:], strict=False) if b <= 120), kept
    replay = ReplayPlayer(run)
    replay.seek_elapsed(90)
    before = replay.strategy_status()
    assert before is not None and before.settings.startswith("every 15s over 15s, cooldown 30s")
    replay.seek(replay.end)
    after = replay.strategy_status()
    assert after is not None and after.settings.startswith("every 5s over 15s")


def test_a_timeline_step_with_a_loop_setting_out_of_bounds_is_refused_before_the_run(tmp_path: Path) -> None:
    from scaletui.engine.prepare import prepare_experiment

    bad = tmp_path / "bad.toml"
    bad.write_text(EXPERIMENT.replace('interval = "5s"', 'interval = "0s"'))
    with pytest.raises(ConfigError) as refused:
        prepare_experiment(bad, ROOT / "conf")
    said = refused.value.message
    assert f"{bad}, line " in said and "timeline[0] (at 2m): interval=0s: the time between decisions" in said, said


def test_the_loop_keys_are_the_limits_keys_and_a_spec_gives_its_loop_in_seconds() -> None:
    """Review 35 F10: one key list (LOOP_LIMITS's) and one helper for a spec's {key: seconds}."""
    from scaletui.config.models import LOOP_KEYS, LOOP_LIMITS, StrategyStep

    assert (
        LOOP_KEYS
        == tuple(LOOP_LIMITS)
        == (
            "interval",
            "window",
            "cooldown",
            "min_parallelism",
            "max_parallelism",
            "max_taskmanagers",
            "max_slots",
        )
    )
    assert StrategySpec(name="ds2", interval="1m", cooldown=5, max_slots=12).loop() == {
        "interval": 60.0,
        "window": 10.0,
        "cooldown": 5.0,
        "min_parallelism": 1,
        "max_parallelism": 8,
        "max_taskmanagers": 4,
        "max_slots": 12,
    }
    assert StrategyStep(do="strategy", name="ds2", window="30s").loop() == {"window": 30.0}


def test_the_live_defaults_file_is_named_once_and_exists() -> None:
    """Review 35 F12: the file the live session starts from and the one the help and the form name are one."""
    from scaletui.config.models import LIVE_EXPERIMENT
    from scaletui.scaling.loop_settings import LIVE_DEFAULTS

    assert f"conf/{LIVE_EXPERIMENT}" == LIVE_DEFAULTS
    assert (ROOT / LIVE_DEFAULTS).is_file()


@pytest.mark.parametrize("seconds", [90.5, 0.1, 3599.125, 66.00000000000001, 1e-05, 3600.0, 150.0])
def test_a_loop_setting_shown_in_the_form_reads_back_as_the_same_number(seconds: float) -> None:
    """Review 35 F9: the form prefilled 90.5 s as `1m30s` (a second formatter, rounding), so sending the form
    unchanged set the interval to 90 s. The loop is shown with `human_duration`, which reads back exactly."""
    from scaletui.config.units import human_duration
    from scaletui.scaling.loop_settings import loop_text
    from scaletui.tui.intents import inline_table

    shown = loop_text({"interval": 90.5, "window": 10.0, "cooldown": seconds})
    assert shown.startswith("interval=90.5s, window=10s, cooldown=")
    assert check_loop(inline_table(shown, "loop settings", "")) == {
        "interval": 90.5,
        "window": 10.0,
        "cooldown": seconds,
    }
    assert "e" not in human_duration(seconds)
