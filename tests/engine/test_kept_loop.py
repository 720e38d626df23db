"""Review 36: what the session keeps of the strategy loop for the next cluster is only what the live session itself
changed and the running loop took: not a line that was refused, not an experiment started from the run history, and
not kept settings that no longer fit the live defaults file (those are dropped, once, with what to do). On the
simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.engine.live import fitting_loop
from scaletui.errors import ConfigError
from scaletui.events import Event, Notice
from scaletui.session.model import Session, StrategyRecord
from scaletui.tui.theming import Palette
from scaletui.tui.widgets.status import summary
from tests.engine.test_guard_rails_live import EXPERIMENT
from tests.engine.test_live_runs import fast_config, until  # noqa: F401 (fast_config is a fixture)


def test_a_refused_strategy_line_changes_nothing_the_session_keeps(engine: Engine) -> None:
    """F2: the loop's change was recorded before the strategy was built, so a line refused for a strategy parameter
    reached the session with the next StrategyChanged (a pause), and the next cluster ran the refused interval."""
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2")
        with pytest.raises(ConfigError):
            engine.live.set_strategy("ds2", {"bogus": 1}, {"interval": "5s"})
        assert engine.live.loop_settings()["interval"] == 10.0
        engine.live.toggle_pause()
        assert engine.store.session.strategy.paused
        assert engine.store.session.strategy.loop == {}, "the refused interval is not kept"
    finally:
        engine.live.stop()


def test_an_experiment_run_from_the_app_leaves_the_live_sessions_strategy_loop_and_load(
    engine: Engine, tmp_path: Path
) -> None:
    """F3: an experiment started from the run history (R, then n or e) went through the app's reducer, so its
    file's strategy, guard rails (max_parallelism 2, max_taskmanagers 1 at 2m) and load became what the next cluster
    started with, silently capping the user's autoscaling. While it runs, the status line shows its autoscaler."""
    kept = {"interval": 30.0}

    def live_controls(s: Session) -> tuple[str, dict[str, object], dict[str, float], dict[str, object]]:
        return s.strategy.name, dict(s.strategy.params), dict(s.strategy.loop), dict(s.job.load_profile)

    def tuned(s: Session) -> None:
        s.strategy.name, s.strategy.params, s.strategy.loop = "transscale", {}, dict(kept)

    engine.store.update(tuned)
    before = engine.store.read(live_controls)
    experiment = tmp_path / "rails.toml"
    experiment.write_text(EXPERIMENT)
    shown: list[StrategyRecord] = []

    def experiment_on_the_status_line() -> bool:
        strategy = engine.experiment_strategy()
        shown.extend([strategy] if strategy is not None and strategy.name == "ds2" else [])
        return bool(shown) or not engine.experiments.running

    engine.experiments.start(experiment)
    until(experiment_on_the_status_line, "the experiment's autoscaler")
    assert shown, "the experiment ended before its autoscaler was seen"
    bar = summary(engine.store.session, 0.0, Palette({}), strategy=shown[0]).plain
    assert bar.endswith("│ ds2"), "the status line shows the experiment's autoscaler, not the session's transscale"
    until(lambda: not engine.experiments.running, "the experiment to end")
    assert engine.experiment_strategy() is None
    last = engine.experiments.last
    assert last is not None and last.status == "done", last
    assert engine.store.read(lambda s: [r.experiment for r in s.runs]) == ["rails"]
    assert engine.store.read(live_controls) == before == ("transscale", {}, kept, {})


def test_kept_settings_that_no_longer_fit_the_defaults_file_are_dropped_once_and_the_rest_still_run(
    fast_config: AppConfig,  # noqa: F811
) -> None:
    """F5: a kept max_parallelism=6 that an edited defaults file (min_parallelism = 7) no longer agrees with sent every
    kept setting back to the file's, the interval with it, and stayed in the session, so the same notice, which said
    nothing to do, came back at every start."""
    defaults = Path(fast_config.paths.conf) / "experiments" / "local-constant.toml"
    defaults.write_text(defaults.read_text().replace("min_parallelism = 1", "min_parallelism = 7"))
    engine = Engine(fast_config, "outgrown")
    notices: list[Event] = []
    engine.bus.subscribe(notices.append, Notice)

    def said() -> list[str]:
        return [n.message for n in notices if isinstance(n, Notice) and "The loop starts with" in n.message]

    try:
        engine.store.update(lambda s: setattr(s.strategy, "loop", {"interval": 30.0, "max_parallelism": 6}))
        engine.live.start("simulator")
        (notice,) = said()
        why = "max_parallelism: the session's no longer fit (min_parallelism=7 is above max_parallelism=6"
        assert f"local-constant.toml's {why}" in notice, notice
        assert "set them again with :strategy NAME max_parallelism=VALUE or the strategy form" in notice, notice
        running = {"interval": 30.0, "min_parallelism": 7, "max_parallelism": 8}
        assert engine.live.loop_settings().items() >= running.items(), "the interval that fits still runs"
        assert engine.store.session.strategy.loop == {"interval": 30.0}
        engine.live.stop()
        engine.live.start("simulator")
        assert len(said()) == 1, "dropped once, not refused again at the next start"
        assert engine.live.loop_settings()["interval"] == 30.0
    finally:
        engine.close()


def test_a_kept_interval_stays_when_two_kept_guard_rails_clash_with_each_other() -> None:
    """Review 37 F3: min_parallelism 6 and max_parallelism 4 each fit the defaults (1..8) alone, not together, and
    the interval that fits went with them, said as no longer fitting."""
    defaults = {"interval": 10.0, "min_parallelism": 1, "max_parallelism": 8}
    kept = {"interval": 5, "min_parallelism": 6, "max_parallelism": 4, "max_taskmanagers": 3}
    assert fitting_loop(kept, defaults) == {"interval": 5.0, "max_taskmanagers": 3}
    assert fitting_loop({"interval": "5s", "min_parallelism": 9}, defaults) == {"interval": 5.0}
    assert fitting_loop({"interval": 5, "max_parallelism": 6}, defaults) == {"interval": 5.0, "max_parallelism": 6}
