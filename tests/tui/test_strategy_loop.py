"""Review 34 F9 in the app: the loop's interval, window and cooldown are set while it runs, from the `:strategy` line
and from the strategy form (which opens on the values running and names the file of their defaults), refused at the
edge in one sentence, and shown on the strategy line and in the live run's timeline."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from scaletui.engine import Engine
from scaletui.errors import ConfigError
from scaletui.results.layout import EXPERIMENT
from scaletui.scaling.params_text import params_text
from scaletui.scaling.registry import create_strategy
from scaletui.scaling.strategies.ds2 import Ds2Params
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.strategy_form import strategy_choice, strategy_form
from tests.tui.pilot import message, screen_text, wait_for


def loop_now(engine: Engine) -> dict[str, float]:
    return engine.live.loop_settings()


async def start_cluster(pilot: Pilot, engine: Engine) -> None:
    await pilot.press("3", "s")
    await wait_for(pilot, lambda: engine.live.is_open, "the cluster to start")


async def command(pilot: Pilot, line: str) -> None:
    await pilot.press("colon", *line, "enter")


async def restart_then_open_the_form(pilot: Pilot, app: ScaletuiApp, engine: Engine) -> None:
    """Stop the cluster (confirmed), start another, and open the strategy form on it: what the session kept."""
    await pilot.press("3", "S")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question before stopping")
    await pilot.press("y")
    await wait_for(pilot, lambda: not engine.live.is_open, "the cluster to stop")
    await pilot.press("s")
    await wait_for(pilot, lambda: engine.live.is_open, "the cluster to start again")
    await pilot.press("4", "a")
    await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form again")


async def test_the_loop_is_tuned_live_from_the_command_line_and_the_strategy_form(fast_sim_engine: Engine) -> None:
    engine = fast_sim_engine
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_cluster(pilot, engine)
        await command(pilot, "strategy ds2 interval=5s cooldown=30s memory=10m")
        await wait_for(pilot, lambda: loop_now(engine).get("interval") == 5, ":strategy's interval")
        assert loop_now(engine).items() >= {"interval": 5, "window": 10, "cooldown": 30}.items()
        assert engine.store.session.strategy.params == {"memory": "10m"}, "memory is ds2's, the rest the loop's"
        await pilot.press("4")
        await wait_for(pilot, lambda: "every 5s over 10s, cooldown 30s" in " ".join(screen_text(app)), "the line")

        await command(pilot, "strategy ds2 interval=0s")
        said = "interval=0s: the time between decisions takes a duration from 1s to 1h"
        await wait_for(pilot, lambda: said in message(app), "the refusal of interval=0s")
        assert loop_now(engine)["interval"] == 5

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form")
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.values()["loop"] == "interval=5s, window=10s, cooldown=30s", "it opens on the running values"
        shown = "\n".join(screen_text(app))
        assert "conf/experiments/local-constant.toml" in shown, shown
        form.query_one("#field-loop").value = "interval=5s, window=soon"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#form-error", Static).render())
        assert app.screen is form and "window=soon: the metrics window each decision reads takes" in error, error
        form.query_one("#field-loop").value = "interval=5s, window=20s, cooldown=30s"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: loop_now(engine).get("window") == 20, "the form's window")
        await wait_for(pilot, lambda: "every 5s over 20s, cooldown 30s" in " ".join(screen_text(app)), "the line")
        run = engine.live.experiment
        assert run is not None
        timeline = tomllib.loads((Path(run.results_dir) / EXPERIMENT).read_text())["timeline"]
        loops = [(s.get("interval"), s.get("window"), s.get("cooldown")) for s in timeline if s["do"] == "strategy"]
        assert loops == [(5, None, 30), (5, 20, 30)], timeline


async def test_the_form_sent_unchanged_keeps_the_loop_and_opens_on_it_after_a_restart(fast_sim_engine: Engine) -> None:
    """Review 35 F9 and F4: the form prefilled an interval of 90.5 s as `1m30s`, so sending it unchanged set 90 s;
    and after S then s the loop ran, and the form opened, on the defaults' 10 s."""
    engine = fast_sim_engine
    app = ScaletuiApp(engine)
    kept = {"interval": 90.5, "window": 10, "cooldown": 30}
    async with app.run_test(size=(100, 30)) as pilot:
        await start_cluster(pilot, engine)
        await pilot.press("colon", *"strategy ds2 interval=90.5s cooldown=30s", "enter")
        await wait_for(pilot, lambda: loop_now(engine).items() >= kept.items(), ":strategy's interval")
        await pilot.press("4", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form")
        assert isinstance(app.screen, FormScreen)
        assert app.screen.values()["loop"] == "interval=90.5s, window=10s, cooldown=30s"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Strategy ds2." in message(app), "the form's strategy")
        assert "Loop:" not in message(app) and loop_now(engine).items() >= kept.items(), message(app)

        await restart_then_open_the_form(pilot, app, engine)
        assert loop_now(engine).items() >= kept.items() and isinstance(app.screen, FormScreen)
        assert app.screen.values()["loop"] == "interval=90.5s, window=10s, cooldown=30s", "it opens on the kept loop"


@pytest.mark.parametrize("seconds", [0.0, 1e-05, 20.0, 90.0, 90.5, 600.0, 5400.25, 7200.0])
def test_the_strategy_line_typed_into_the_form_sets_the_same_seconds(seconds: float, tmp_path: Path) -> None:
    """The parameters as the strategy line shows them (`memory=1m30s`), typed into the form's parameters field, set
    what the line showed: no padded (`10m00s`) or rounded form in between."""
    shown = params_text(Ds2Params(memory=seconds, catch_up=seconds, target_utilisation=0.123456789))
    choice = strategy_choice({"name": "ds2", "params": shown, "loop": "", "guard": ""}, tmp_path, {})
    again = create_strategy("ds2", choice.params).params
    assert (again.memory, again.catch_up, again.target_utilisation) == (seconds, seconds, 0.123456789), shown


async def test_the_guard_rails_are_set_live_shown_refused_in_one_sentence_and_kept(fast_sim_engine: Engine) -> None:
    """The guard rails could be set only in the experiment file: `:strategy transscale max_parallelism=6` said
    "params.max_parallelism is not a parameter of this strategy", and the form had no field for them."""
    engine = fast_sim_engine
    app = ScaletuiApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await start_cluster(pilot, engine)
        await command(pilot, "strategy transscale max_parallelism=6 max_taskmanagers=3")
        await wait_for(pilot, lambda: loop_now(engine).get("max_parallelism") == 6, ":strategy's max_parallelism")
        assert loop_now(engine)["max_taskmanagers"] == 3 and engine.store.session.strategy.params == {}
        await pilot.press("4")
        line = "parallelism 1-6, up to 3 TMs and 16 slots"
        await wait_for(pilot, lambda: line in " ".join(screen_text(app)), "the strategy line")

        await command(pilot, "strategy transscale max_taskmanagers=0")
        said = "max_taskmanagers=0: the most TaskManagers the autoscaler runs takes a whole number from 1 to 256."
        await wait_for(pilot, lambda: said in message(app), "the refusal of max_taskmanagers=0")
        await command(pilot, "strategy transscale min_parallelism=7")
        said = "min_parallelism=7 is above max_parallelism=6: the autoscaler's parallelism bounds need"
        await wait_for(pilot, lambda: said in message(app), "the refusal of a lower bound above the upper one")
        assert loop_now(engine)["min_parallelism"] == 1 and loop_now(engine)["max_taskmanagers"] == 3

        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form")
        form = app.screen
        assert isinstance(form, FormScreen)
        rails = "min_parallelism=1, max_parallelism=6, max_taskmanagers=3, max_slots=16"
        assert form.values()["guard"] == rails, "it opens on the running guard rails"
        form.query_one("#field-guard").value = "max_parallelism=6, max_slots=zero"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#form-error", Static).render())
        assert app.screen is form and "max_slots=zero: the most task slots the autoscaler uses takes" in error, error
        tuned = "min_parallelism=2, max_parallelism=6, max_taskmanagers=3, max_slots=12"
        form.query_one("#field-guard").value = tuned  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: loop_now(engine).get("max_slots") == 12, "the form's max_slots")
        await wait_for(pilot, lambda: "parallelism 2-6, up to 3 TMs and 12 slots" in " ".join(screen_text(app)), "line")
        run = engine.live.experiment
        assert run is not None
        timeline = tomllib.loads((Path(run.results_dir) / EXPERIMENT).read_text())["timeline"]
        steps = [s for s in timeline if s["do"] == "strategy"]
        assert steps[0]["max_parallelism"] == 6 and steps[0]["max_taskmanagers"] == 3, timeline
        assert steps[-1]["min_parallelism"] == 2 and steps[-1]["max_slots"] == 12, timeline

        kept = {"min_parallelism": 2, "max_parallelism": 6, "max_taskmanagers": 3, "max_slots": 12}
        await restart_then_open_the_form(pilot, app, engine)
        assert loop_now(engine).items() >= kept.items() and isinstance(app.screen, FormScreen)
        assert app.screen.values()["guard"] == tuned, "it opens on the kept guard rails"


async def test_a_loop_setting_that_is_not_finite_is_refused_and_the_app_keeps_running(fast_sim_engine: Engine) -> None:
    """Review 36 F4: `interval=inf` (TOML's, from the form; a float, from the `:` line) raised OverflowError out of
    the refusal's own sentence, and `nan` a ValueError, which stopped the app."""
    engine = fast_sim_engine
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_cluster(pilot, engine)
        await command(pilot, "strategy ds2 interval=inf")
        said = "interval=inf: the time between decisions takes a duration from 1s to 1h"
        await wait_for(pilot, lambda: said in message(app), "the refusal of interval=inf")
        await command(pilot, "strategy ds2 window=nan")
        said = "window=nan: the metrics window each decision reads takes a duration from 1s to 1h"
        await wait_for(pilot, lambda: said in message(app), "the refusal of window=nan")

        await pilot.press("4", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form")
        form = app.screen
        assert isinstance(form, FormScreen)
        for typed in ("interval=inf", "cooldown=nan"):
            form.query_one("#field-loop").value = typed  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await pilot.pause()
            error = str(form.query_one("#form-error", Static).render())
            assert app.screen is form and error.startswith(f"{typed}: the "), error
        assert app.is_running and loop_now(engine)["interval"] == 10


def test_the_forms_examples_are_the_loop_defaults_it_is_given() -> None:
    """Review 36 F9: the Loop and Guard rails fields' placeholders and a refusal's "such as" were copies of
    StrategySpec's defaults, which a changed default left stale; they are the defaults the form is given."""
    from scaletui.config.models import StrategySpec
    from scaletui.session.model import StrategyRecord

    tuned = {**StrategySpec().loop(), "interval": 7.0, "max_slots": 24}
    form = strategy_form(StrategyRecord(), {}, tuned, Path("conf"))
    placeholders = {f.name: f.placeholder for f in form.fields}
    assert placeholders["loop"] == "interval=7s, window=10s, cooldown=20s", placeholders
    assert placeholders["guard"] == "min_parallelism=1, max_parallelism=8, max_taskmanagers=4, max_slots=24"
    with pytest.raises(ConfigError) as refused:
        strategy_choice({"name": "none", "params": "", "loop": "", "guard": "max_slots 4"}, Path("conf"), tuned)
    assert f"such as {placeholders['guard']} (" in refused.value.message, refused.value.message


async def test_the_forms_examples_come_from_the_live_defaults_file(fast_sim_engine: Engine) -> None:
    """Review 37 F4: the hint names conf/experiments/local-constant.toml's [strategy] as the loop's defaults, and a
    live loop starts from it, but an emptied field's example was StrategySpec's: an edited file's interval=5s still
    showed as interval=10s. A file the edit broke is said when the form is asked for, and the app keeps running."""
    engine = fast_sim_engine
    defaults = engine.conf_dir / "experiments" / "local-constant.toml"
    original = defaults.read_text()
    edited = original.replace('interval = "10s"', 'interval = "5s"').replace("max_slots = 16", "max_slots = 12")
    defaults.write_text(edited)
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        for started in (False, True):
            await pilot.press("4", "a")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), f"the form (cluster on: {started})")
            form = app.screen
            assert isinstance(form, FormScreen)
            placeholders = {f.name: f.placeholder for f in form.fields}
            assert placeholders["loop"] == "interval=5s, window=10s, cooldown=20s", placeholders
            assert placeholders["guard"].endswith("max_slots=12"), placeholders
            form.query_one("#field-loop").value = "interval 4s"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await pilot.pause()
            error = str(form.query_one("#form-error", Static).render())
            assert "such as interval=5s, window=10s, cooldown=20s" in error, error
            await pilot.press("escape")
            if not started:
                await start_cluster(pilot, engine)

        defaults.write_text(original.replace('interval = "10s"', 'interval = "soon"'))
        await pilot.press("4", "a")
        await wait_for(pilot, lambda: "local-constant.toml" in message(app), "the broken file said")
        assert app.is_running and not isinstance(app.screen, FormScreen), message(app)
        engine.live.stop()


async def test_a_strategy_chosen_before_the_cluster_runs_when_it_starts(fast_sim_engine: Engine) -> None:
    """Review 37 G3: `:strategy ds2` with no cluster only said "No cluster is running". It is checked as on a running
    loop, kept in the session, said and shown on the status line, and the next cluster starts with it."""
    engine = fast_sim_engine
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await command(pilot, "strategy ds2 target_utilisation=2")
        await wait_for(pilot, lambda: "target_utilisation" in message(app), "the refusal of target_utilisation=2")
        assert engine.store.session.strategy.name == "none"

        await command(pilot, "strategy ds2 target_utilisation=0.8 interval=5s")
        said = "ds2 will run when the cluster starts (s)."
        await wait_for(pilot, lambda: said in message(app), "the strategy kept for the next cluster")
        kept = engine.store.session.strategy
        assert (kept.name, kept.params, kept.loop.get("interval")) == ("ds2", {"target_utilisation": 0.8}, 5)
        assert not engine.live.is_open
        await wait_for(pilot, lambda: "cluster off │ job none │ ds2 at start" in " ".join(screen_text(app)), "status")

        await pilot.press("4", "a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy form with no cluster")
        form = app.screen
        assert isinstance(form, FormScreen)
        values = form.values()
        assert (values["name"], values["params"]) == ("ds2", "target_utilisation = 0.8"), values
        assert values["loop"].startswith("interval=5s"), values
        await pilot.press("escape")

        await start_cluster(pilot, engine)
        await wait_for(pilot, lambda: engine.live.strategy_status() is not None, "the autoscaler to start")
        status = engine.live.strategy_status()
        assert status is not None and status.strategy == "ds2"
        assert loop_now(engine)["interval"] == 5
        await wait_for(pilot, lambda: "│ ds2" in " ".join(screen_text(app)), "ds2 running on the status line")
        assert "ds2 at start" not in " ".join(screen_text(app))
        engine.live.stop()


async def test_the_strategy_form_with_no_cluster_says_a_broken_live_defaults_file(fast_sim_engine: Engine) -> None:
    """Review 38 F1: with no cluster the form opens on the next one's loop settings, read from the live defaults
    file; a broken edit of that file ended the app with a traceback from the key handler."""
    engine = fast_sim_engine
    (engine.conf_dir / "experiments" / "local-constant.toml").write_text("[experiment\nname = 'live'\n")
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "a")
        await wait_for(pilot, lambda: "local-constant.toml: not valid TOML" in message(app), "the file's error said")
        assert app.is_running and not isinstance(app.screen, FormScreen)
