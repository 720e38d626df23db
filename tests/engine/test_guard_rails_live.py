"""The autoscaler's guard rails (min_parallelism, max_parallelism, max_taskmanagers, max_slots) could be set only in
an experiment file's [strategy] table. They are the loop's settings now, as its interval is: a strategy step (the `:`
line, the strategy form, a timeline entry) sets them, held to the bounds and the agreement the file's table is held
to, in one sentence naming the bound; the running loop clamps its next decision to them; StrategyChanged records
them, the strategy line, the replay and report.md's Timeline show them, and the session keeps them for the next
cluster."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest
import tomli_w

from scaletui.config.loader import load_experiment
from scaletui.config.models import AppConfig, StrategySpec
from scaletui.engine import Engine
from scaletui.engine.replay import ReplayPlayer
from scaletui.errors import ConfigError
from scaletui.events import DecisionEvent, Event, EventBus, Notice
from scaletui.headless.runner import run_experiment_file
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.loop_settings import check_loop, split_loop
from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy
from tests.engine.test_controller_actuation import cluster
from tests.engine.test_live_runs import fast_config, until  # noqa: F401 (fast_config is a fixture)

ROOT = Path(__file__).parents[2]
CONFLICT = "min_parallelism=10 is above max_parallelism=8: the autoscaler's parallelism bounds need min_parallelism"
EXPERIMENT = """
[experiment]
name = "rails"
platform = "simulator"
duration = "4m"

[job]
taskmanagers = 2
slots_per_taskmanager = 2

[load]
profile = "constant"
rate = 2000

[strategy]
name = "ds2"
interval = "10s"
window = "10s"
cooldown = "10s"
max_parallelism = 8
max_taskmanagers = 4
max_slots = 8

[[timeline]]
at = "2m"
do = "strategy"
name = "ds2"
max_parallelism = 2
max_taskmanagers = 1
"""


def test_a_guard_rail_is_a_loop_setting_held_to_the_files_bounds_in_one_sentence(tmp_path: Path) -> None:
    assert split_loop({"max_parallelism": 6, "memory": "10m"}) == ({"max_parallelism": 6}, {"memory": "10m"})
    checked = check_loop({"max_parallelism": "6", "max_taskmanagers": 3, "max_slots": 12.0})
    assert checked == {"max_parallelism": 6, "max_taskmanagers": 3, "max_slots": 12}
    assert all(type(v) is int for v in checked.values()), "a session file's 12.0 is the whole number 12"
    bound = "the most subtasks the autoscaler gives an operator takes a whole number from 1 to 32768"
    with pytest.raises(ConfigError, match=rf"^max_parallelism=0: {bound}\.$"):
        check_loop({"max_parallelism": 0})
    with pytest.raises(ConfigError, match=r"^max_taskmanagers=2.5: the most TaskManagers the autoscaler runs takes"):
        check_loop({"max_taskmanagers": 2.5})
    with pytest.raises(ConfigError, match=f"^{CONFLICT}"):
        check_loop({"min_parallelism": 10}, StrategySpec().loop())
    assert check_loop({"min_parallelism": 10, "max_parallelism": 12}, StrategySpec().loop())["min_parallelism"] == 10

    experiment = tmp_path / "rails.toml"
    experiment.write_text(EXPERIMENT.replace("max_parallelism = 8", "min_parallelism = 10\nmax_parallelism = 8", 1))
    with pytest.raises(ConfigError, match=f"{experiment}: strategy: {CONFLICT}"):
        load_experiment(experiment)
    experiment.write_text(EXPERIMENT.replace("max_taskmanagers = 4", "max_taskmanagers = 300"))
    with pytest.raises(ConfigError, match=r"key strategy.max_taskmanagers expected input should be less than or"):
        load_experiment(experiment)


class Wide(Strategy):
    """Wants 6 subtasks of the expensive operator, whatever it sees."""

    name = "wide"

    @dataclasses.dataclass(frozen=True)
    class Params:
        pass

    def decide(self, obs: Observation) -> Decision:
        return self.decision(obs, {**obs.parallelism, "expensive": 6}, "wants 6")


def test_the_running_loop_clamps_its_next_decision_to_the_guard_rails_changed_live() -> None:
    sim = cluster()
    bus = EventBus()
    decisions: list[DecisionEvent] = []
    bus.subscribe(lambda e: decisions.append(e) if isinstance(e, DecisionEvent) else None)
    spec = StrategySpec(name="wide", interval=10, window=10, cooldown=20, dry_run=True)
    ctl = ScalingController(sim, Wide(), spec, bus, clock=sim.clock)
    ctl.run(threading.Event(), until=sim.now + 25)
    assert decisions and decisions[-1].parallelism["expensive"] == 6 and decisions[-1].taskmanagers == 3
    due = ctl.time_to_next_decision()
    ctl.set_loop(check_loop({"max_parallelism": 2, "max_taskmanagers": 1}, ctl.spec.loop()))
    assert ctl.time_to_next_decision() == due, "a guard rail changed restarts no window: the next decision is due"
    seen = len(decisions)
    ctl.run(threading.Event(), until=sim.now + 11)
    (last,) = decisions[seen:]
    assert last.parallelism["expensive"] == 2 and last.taskmanagers == 1, last
    assert "expensive 6->2 by max_parallelism" in last.reason, last.reason
    assert "parallelism 1-2, up to 1 TMs and 16 slots" in ctl.status().settings


def test_a_strategy_step_sets_the_guard_rails_and_the_records_the_replay_and_the_report_show_them(
    tmp_path: Path,
) -> None:
    settings = tmp_path / "scaletui.toml"
    paths = {p: str(tmp_path / p) for p in ("sessions", "results", "cache")} | {"conf": str(ROOT / "conf")}
    settings.write_text(tomli_w.dumps({"paths": paths}))
    experiment = tmp_path / "rails.toml"
    experiment.write_text(EXPERIMENT)
    assert run_experiment_file(experiment, config_file=str(settings), out=str(tmp_path / "out")) == 0
    (run,) = [p for p in (tmp_path / "out").glob("*/*") if (p / "run.json").is_file()]
    state = [json.loads(line) for line in (run / "state.jsonl").read_text().splitlines()]
    changed = [s for s in state if s["type"] == "StrategyChanged" and s["loop"]]
    assert round(changed[0]["t_s"]) == 120 and changed[0]["loop"] == {"max_parallelism": 2, "max_taskmanagers": 1}
    assert "parallelism 1-2, up to 1 TMs and 8 slots" in changed[0]["settings"]
    made = [json.loads(line) for line in (run / "decisions.jsonl").read_text().splitlines()]
    before = [d for d in made if d["t_s"] < 120]
    after = [d for d in made if d["t_s"] > 120]
    assert max(max(d["parallelism"].values()) for d in before) > 2, "the load needs more than 2 before the step"
    assert after and all(max(d["parallelism"].values()) <= 2 and d["taskmanagers"] <= 1 for d in after), after
    report = (run / "report.md").read_text()
    assert "strategy ds2 max_parallelism=2 max_taskmanagers=1 |" in report, report
    replay = ReplayPlayer(run)
    replay.seek_elapsed(90)
    status = replay.strategy_status()
    assert status is not None and "parallelism 1-8, up to 4 TMs and 8 slots" in status.settings
    replay.seek(replay.end)
    status = replay.strategy_status()
    assert status is not None and "parallelism 1-2, up to 1 TMs and 8 slots" in status.settings


def test_a_timeline_step_whose_guard_rails_disagree_with_those_in_force_is_refused_before_the_run(
    tmp_path: Path,
) -> None:
    from scaletui.engine.prepare import prepare_experiment

    bad = tmp_path / "bad.toml"
    bad.write_text(EXPERIMENT.replace("max_parallelism = 2", "min_parallelism = 10"))
    with pytest.raises(ConfigError) as refused:
        prepare_experiment(bad, ROOT / "conf")
    line = bad.read_text().splitlines().index("min_parallelism = 10") + 1
    assert f"{bad}, line {line}: timeline[0] (at 2m): {CONFLICT}" in refused.value.message, refused.value.message
    raised_first = '\n[[timeline]]\nat = "1m"\ndo = "strategy"\nname = "ds2"\nmax_parallelism = 12\n'
    bad.write_text(bad.read_text() + raised_first)
    prepare_experiment(bad, ROOT / "conf")  # the entry after it in the file runs before it: the bound is 12 then


def test_the_guard_rails_changed_live_come_back_with_the_cluster_and_after_a_reopen(
    fast_config: AppConfig,  # noqa: F811
) -> None:
    kept = {"max_parallelism": 6, "max_taskmanagers": 3}
    first = Engine(fast_config, "rails")
    try:
        first.live.start("simulator")
        said = first.live.set_strategy("transscale", {}, {"max_parallelism": "6", "max_taskmanagers": 3})
        assert "Loop: max_parallelism 8 -> 6, max_taskmanagers 4 -> 3." in said, said
        with pytest.raises(ConfigError, match=r"^min_parallelism=7 is above max_parallelism=6: "):
            first.live.set_strategy("transscale", {}, {"min_parallelism": 7})
        until(lambda: first.store.session.strategy.loop == kept, "the guard rails in the session")
        first.live.stop()
        first.live.start("simulator")
        status = first.live.strategy_status()
        assert status is not None and "parallelism 1-6, up to 3 TMs and 16 slots" in status.settings, status
    finally:
        first.close()
    second = Engine(fast_config, "rails")
    try:
        assert second.store.session.strategy.loop == kept
        second.live.start("simulator")
        assert second.live.loop_settings().items() >= kept.items()
        second.live.stop()
        defaults = Path(fast_config.paths.conf) / "experiments" / "local-constant.toml"
        defaults.write_text(defaults.read_text().replace("min_parallelism = 1", "min_parallelism = 7"))
        notices: list[Event] = []
        second.bus.subscribe(notices.append, Notice)
        second.live.start("simulator")
        assert second.live.loop_settings().items() >= {"min_parallelism": 7, "max_parallelism": 8}.items()
        said = [n.message for n in notices if isinstance(n, Notice) and "The loop starts with" in n.message]
        assert said and "min_parallelism=7 is above max_parallelism=6" in said[0], said
    finally:
        second.close()
