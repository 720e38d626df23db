"""Intents as data: the `:` line's verbs with parameters become the engine's timeline steps (and are recorded in the
live run's experiment file as such), the palette offers only what is possible now, and a palette entry that is not
possible says why instead of failing (the "table: filter" on Plots raised NoMatches)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scaletui.config.models import FaultStep, LoadStep, RescaleStep, StrategyStep, TaskManagersStep
from scaletui.engine import Engine
from scaletui.errors import ConfigError
from scaletui.results.layout import EXPERIMENT
from scaletui.tui.actions import ACTIONS, by_id
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.availability import why_not
from scaletui.tui.intent_parser import parse
from tests.tui.pilot import message, wait_for


def test_verbs_become_timeline_steps() -> None:
    assert parse(":rescale expensive 4").step == RescaleStep(do="rescale", operator="expensive", parallelism=4)
    assert parse("tms 3").step == TaskManagersStep(do="taskmanagers", count=3)
    assert parse(":strategy transscale").step == StrategyStep(do="strategy", name="transscale")
    tuned = parse(":strategy ds2 target_utilisation=0.8 catch_up=30s").step
    assert tuned == StrategyStep(do="strategy", name="ds2", params={"target_utilisation": 0.8, "catch_up": "30s"})
    load = parse(":load step 300 900@5m 1200@10m").step
    assert isinstance(load, LoadStep)
    assert load.load.model_dump() == {"profile": "step", "rate": 300, "steps": [["5m", 900], ["10m", 1200]]}
    fault = parse(":fault delay taskmanager-1 100ms 30s").step
    assert isinstance(fault, FaultStep)
    assert (fault.kind, fault.targets, fault.duration, fault.params) == (
        "delay", ["taskmanager-1"], 30.0, {"latency_ms": 100.0},
    )  # fmt: skip
    for bare, ms in (("100", 100.0), ("0.2s", 200.0)):  # a bare number is the parameter's milliseconds
        step = parse(f":fault delay taskmanager-1 {bare} 30").step
        assert isinstance(step, FaultStep) and step.params == {"latency_ms": ms} and step.duration == 30.0
    loss = parse(":fault loss role:taskmanager 5% 1m correlation=25").step
    assert isinstance(loss, FaultStep) and loss.params == {"percent": 5.0, "correlation": 25}
    assert parse(":pods").step is None and parse(":theme light").args == ("light",)
    assert parse(":?").action.id == "app.help", "the : line's hint says (? all)"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (":rescale expensive", "expected 2 words"),
        (":rescale expensive four", "the parallelism must be a whole number"),
        (":rescale expensive 0", "greater than or equal to 1"),
        (":strategy nosuch", "unknown strategy 'nosuch'"),
        (":load step 300 900", "a second rate '900'"),
        (":fault delay taskmanager-1", "expected KIND TARGETS [VALUE] DURATION"),
        (":fault delay taskmanager-1 30s", "params.latency_ms: Field required"),
        (":fault delay taskmanager-1 0ms 30s", "latency_ms"),
        (":bogus", "Unknown command :bogus"),
    ],
)
def test_a_bad_line_is_one_sentence_with_the_usage(line: str, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(line)
    assert said in str(err.value)


def test_a_bad_load_line_points_at_the_words_typed_not_an_experiment_file() -> None:
    with pytest.raises(ConfigError) as err:
        parse(":load step 300")
    assert "load.steps: expected a list of [time, rate] pairs" in err.value.message
    assert err.value.hint.startswith("Usage: :load") and "experiment file" not in str(err.value)


async def test_palette_offers_only_what_is_possible(sim_engine: Engine) -> None:
    """Regression: choosing "table: filter" from the palette on the Plots pane raised NoMatches (no table there)."""
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert why_not(by_id("table.filter"), app) == "The Plots pane has no table."
        app.run_palette_action(by_id("table.filter"))
        await pilot.pause()
        assert "The Plots pane has no table." in message(app)
        assert why_not(by_id("plots.rescale"), app).startswith("No cluster is running")
        offered = {a.id for a in ACTIONS if a.palette and not why_not(a, app)}
        assert "table.filter" not in offered and "plots.rescale" not in offered and "app.help" in offered
        await pilot.press("5")
        await pilot.pause()
        assert why_not(by_id("table.filter"), app) == ""
        app.run_palette_action(by_id("table.filter"))
        await pilot.pause()
        assert app.pane("chaos").query("FilterTable Input")


async def test_command_line_drives_a_live_run_and_is_recorded(sim_engine: Engine) -> None:
    """`:` verbs with parameters on a live simulated cluster: each reaches the run loop, the simulator's platform
    refuses what it lacks in one sentence, and the run's experiment file holds the steps as a timeline."""
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the cluster to start")
        await wait_for(pilot, lambda: sim_engine.series.last_sample, "the first sample")

        async def command(line: str) -> None:
            await pilot.press("colon")
            await pilot.press(*line)
            await pilot.press("enter")

        await command("strategy ds2")
        await wait_for(pilot, lambda: sim_engine.store.session.strategy.name == "ds2", ":strategy ds2")
        await command("rescale expensive 2")
        await wait_for(
            pilot, lambda: sim_engine.series.last("op.expensive.parallelism") == 2, ":rescale in the metrics", 60
        )
        await command("load step 300 900@5m")
        await wait_for(pilot, lambda: "Load: step (now 300 records/s)" in message(app), ":load's first rate", 60)
        await command("submit")
        await wait_for(pilot, lambda: "The simulator platform has no job control." in message(app), "the refusal")
        run = sim_engine.live.experiment
        assert run is not None
        timeline = tomllib.loads((Path(run.results_dir) / EXPERIMENT).read_text())["timeline"]
        done = [(s["do"], s.get("name"), s.get("operator"), s.get("load", {}).get("profile")) for s in timeline]
        assert done == [("strategy", "ds2", None, None), ("rescale", None, "expensive", None),
                        ("load", None, None, "step")]  # fmt: skip
        await command("rescale expensive")
        await wait_for(pilot, lambda: "Usage: :rescale OPERATOR N" in message(app), "the usage on a bad line")
