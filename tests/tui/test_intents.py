"""Intents as data: the `:` line's verbs with parameters become the engine's timeline steps (and are recorded in the
live run's experiment file as such), the palette offers only what is possible now, and a palette entry that is not
possible says why instead of failing (the "table: filter" on Plots raised NoMatches)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from scaletui.chaos.backend import PlannedFault, WriteAhead
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
        (":strategy ds2 interval=inf", "interval=inf: the time between decisions takes a duration from 1s to 1h"),
        (":strategy ds2 window=nan", "window=nan: the metrics window each decision reads takes a duration from 1s"),
        (":strategy ds2 cooldown=-inf", "cooldown=-inf: the quiet time after a rescale takes a duration from 0s"),
    ],
)
def test_a_bad_line_is_one_sentence_with_the_usage(line: str, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(line)
    assert said in str(err.value)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("target_utilisation=2", "key params.target_utilisation expected 1.0 or less, got 2.0."),
        ("bogus=1", "key params.bogus is not a parameter of this strategy (known: target_utilisation,"),
    ],
)
def test_a_bad_strategy_parameter_is_said_as_typed_not_as_an_error_of_the_strategys_file(words: str, said: str) -> None:
    """It was refused only when the engine built the strategy, worded as an error of conf/strategies/ds2.toml, and
    after "No cluster is running" when no cluster ran (user review 36 M4, M5): the : line checks it first."""
    with pytest.raises(ConfigError) as err:
        parse(f":strategy ds2 {words}")
    assert err.value.message == f":strategy: {said}" or err.value.message.startswith(f":strategy: {said}")
    assert "conf/strategies" not in str(err.value) and err.value.hint == "Usage: :strategy ds2 [key=value ...]"


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
        # review 34 F13: Textual's own Theme command offered ~20 themes that :theme and ctrl+t then rejected
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Theme" not in titles and "Quit" in titles, titles


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


def test_every_fault_kind_has_a_command_line() -> None:
    """Review 33 #7: `:fault partition` could not be written at all; each kind the engine knows now has a `:fault`
    line, and a partition's peers are a list written `a,b`, `[a,b]` or `["a", "b"]`."""
    from scaletui.chaos.kinds import KINDS
    from scaletui.tui.intent_parser import FAULT_EXAMPLES

    assert set(FAULT_EXAMPLES) == set(KINDS)
    for kind, line in FAULT_EXAMPLES.items():
        step = parse(f":fault {line}").step
        assert isinstance(step, FaultStep) and step.kind == kind
    for peers in ("taskmanager-2,jobmanager", "[taskmanager-2,jobmanager]", '["taskmanager-2", "jobmanager"]'):
        step = parse(f":fault partition taskmanager-1 200s peers={peers} direction=to").step
        assert isinstance(step, FaultStep)
        assert step.params == {"peers": ["taskmanager-2", "jobmanager"], "direction": "to"}, peers


def test_a_refused_fault_line_shows_the_kinds_syntax() -> None:
    with pytest.raises(ConfigError) as err:
        parse(":fault partition taskmanager-1 200s direction=both")
    assert "params.peers: Field required" in err.value.message
    assert "Write it as :fault partition taskmanager-1 30s peers=taskmanager-2,jobmanager" in err.value.hint


class RecordingFaults:
    """A fault backend that takes every fault and keeps it: the form and the `:` line are checked without root."""

    name = "local"

    def __init__(self) -> None:
        self.fired: list[PlannedFault] = []

    def check(self, kind: str, params: BaseModel | None = None) -> None:
        pass

    def how(self, kind: str) -> str:
        return ""

    def inject(self, fault: PlannedFault, write_ahead: WriteAhead) -> None:
        self.fired.append(fault)

    def undo(self, step: dict[str, Any]) -> None:
        pass


async def test_every_fault_kind_is_fired_from_the_form_and_the_command_line(sim_engine: Engine) -> None:
    """Review 33 #7: the `f` form offered six kinds of its own list, without partition and memory-stress. Each kind
    of chaos.params is offered, starts from parameters it accepts, and reaches the backend; a `:fault partition`
    line with a list of peers does too."""
    from scaletui.chaos.kinds import EXAMPLES, KINDS
    from scaletui.tui.screens.form import FormScreen

    backend = RecordingFaults()
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
        sim_engine.faults.attach("this machine", (backend,), lambda: list(app.pane("pods").instances))
        assert sim_engine.live.run is not None
        sim_engine.live.run.caps.faults = (backend,)  # what the : line asks before firing
        await wait_for(pilot, lambda: app.pane("pods").instances, "the instances")
        await pilot.press("5")
        for count, kind in enumerate(KINDS, start=1):
            await pilot.press("f")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the fault dialog", 20)
            form = app.screen
            assert form.fields[0].options == KINDS  # type: ignore[attr-defined]
            form.query_one("#field-kind").value = kind  # type: ignore[attr-defined]
            await pilot.pause()
            assert form.query_one("#field-params").value == EXAMPLES[kind]  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda n=count: len(backend.fired) == n, f"the {kind} fault fired from the form", 30)
            assert backend.fired[-1].kind == kind
        await pilot.press("colon", *"fault partition role:taskmanager 30s peers=jobmanager,sim", "enter")
        await wait_for(pilot, lambda: len(backend.fired) == len(KINDS) + 1, "the partition from the : line", 30)
        partition = backend.fired[-1]
        assert partition.kind == "partition" and partition.params.peers == ("jobmanager", "sim")  # type: ignore[attr-defined]
