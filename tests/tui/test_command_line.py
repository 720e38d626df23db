"""Tab on the `:` line (review 34 F19): it completes the command names and then the names its words take (operators,
strategies, themes, help sections), then the `key=` names of a strategy's and a fault's parameters, cycling through
several and listing them; `:?` opens the help at its Commands."""

from __future__ import annotations

import dataclasses

import pytest
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from scaletui.chaos.params import MODELS
from scaletui.config.models import LOOP_KEYS, StrategyStep
from scaletui.engine import Engine
from scaletui.scaling.registry import STRATEGIES
from scaletui.session.model import OperatorRecord
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.completion import Completer, Names, candidates
from scaletui.tui.intent_parser import parse
from scaletui.tui.screens.command_line import CommandLineScreen
from scaletui.tui.screens.help import HelpScreen
from scaletui.workload.profiles import PARAMETERS
from tests.tui.pilot import screen_text, wait_for

NAMES = Names(operators=("source", "expensive", "sink"), strategies=("ds2", "threshold"), themes=("dark", "light"))


def shown(app: ScaletuiApp) -> str:
    return "\n".join(screen_text(app))


def test_candidates_are_the_commands_then_the_names_of_their_words() -> None:
    assert candidates("stra", NAMES) == ("", ["strategy"])
    assert candidates(":th", NAMES) == (":", ["theme"])
    assert candidates("re", NAMES)[1] == ["res", "rescale", "resume", "revert"]
    assert candidates("rescale e", NAMES) == ("rescale ", ["expensive"])
    assert candidates("strategy ", NAMES)[1] == ["none", "ds2", "threshold"]
    assert candidates("theme l", NAMES)[1] == ["light"]
    assert candidates("help p", NAMES)[1] == ["pods", "plots"]
    assert candidates("? c", NAMES)[1] == ["chaos", "commands"], "an alias takes its verb's names"
    assert candidates("fault d", NAMES)[1] == ["delay"]
    assert candidates("rescale expensive ", NAMES)[1] == [], "a number has no names"
    assert candidates("bogus ", NAMES)[1] == []


def test_tab_completes_one_extends_several_then_cycles_both_ways() -> None:
    tab = Completer()
    assert tab.complete("stra", NAMES).value == "strategy "
    done = tab.complete("strategy t", NAMES)
    assert done.value == "strategy threshold " and not done.options
    tab = Completer()
    first = tab.complete("re", NAMES)
    assert (first.value, first.options, first.index) == ("res", ("res", "rescale", "resume", "revert"), 0)
    assert [tab.complete(tab.shown, NAMES).value for _ in range(4)] == ["rescale", "resume", "revert", "res"]
    assert tab.complete(tab.shown, NAMES, -1).value == "revert"
    extended = Completer().complete("theme ", Names(themes=("solar-dark", "solar-light")))
    assert (extended.value, extended.index) == ("theme solar-", -1), "as far as the candidates agree first"
    assert Completer().complete("rescale x", NAMES).value == "rescale x", "nothing to complete leaves the line"


def test_after_a_strategy_a_load_or_a_fault_tab_offers_the_keys_its_parser_takes_and_the_line_lacks() -> None:
    ds2 = [f.name for f in dataclasses.fields(STRATEGIES["ds2"].Params)]
    assert candidates("strategy ds2 ", NAMES)[1] == [f"{k}=" for k in (*ds2, *LOOP_KEYS)]
    assert "memory=" in candidates("strategy ds2 m", NAMES)[1]
    left = candidates("strategy ds2 memory=10m catch-up=5s interval=5s ", NAMES)[1]
    assert "memory=" not in left and "catch_up=" not in left and "interval=" not in left and "window=" in left
    assert candidates("strategy none ", NAMES)[1] == [f"{k}=" for k in LOOP_KEYS], "no strategy: the loop's only"
    assert candidates("strategy bogus ", NAMES)[1] == [], "a strategy the line refuses has no keys"
    assert candidates("strategy ds2 memory=1", NAMES)[1] == [], "a value has no names"
    assert candidates("strategy predictive ", NAMES)[1].count("cooldown=") == 1
    delay = candidates("fault delay taskmanager-1 30s ", NAMES)[1]
    assert set(delay) == {f"{k}=" for k in MODELS["delay"].model_fields} and delay[0] == "latency_ms="
    assert "latency_ms=" not in candidates("fault delay taskmanager-1 100ms 30s ", NAMES)[1], "given bare"
    assert candidates("fault delay taskmanager-1 30s jitter_ms=5 c", NAMES)[1] == ["correlation="]
    assert Completer().complete("strategy ds2 mem", NAMES).value == "strategy ds2 memory=", "no space after ="
    assert candidates("load sine ", NAMES)[1] == [f"{k}=" for k in PARAMETERS["sine"]]
    assert candidates("load step 300 ", NAMES)[1] == ["steps="], "a bare number is the rate"
    assert candidates("load step 300 900@5m ", NAMES)[1] == [], "RATE@TIME words are the steps"
    assert candidates("load replay file=trace.csv ", NAMES)[1] == ["scale=", "interpolate=", "loop="]


async def test_tab_offers_the_parameters_of_the_strategy_load_or_fault_on_the_line(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session to open", 60)
        await pilot.press("colon", *"strategy ds2 ", "tab")
        line = app.screen.query_one(Input)
        assert line.value == "strategy ds2 target_utilisation="
        await pilot.press("tab", "tab")
        assert line.value == "strategy ds2 catch_up="
        await pilot.press("ctrl+u", *"strategy ds2 memory=10m mem", "tab")
        assert line.value == "strategy ds2 memory=10m mem", "a key given once is not offered again"
        await pilot.press("ctrl+u", *"strategy ds2 memory=10m m", "tab")
        assert line.value == "strategy ds2 memory=10m min_busy_ms="
        await pilot.press(*"20 inter", "tab")
        assert line.value == "strategy ds2 memory=10m min_busy_ms=20 interval="
        await pilot.press(*"5s")
        step = parse(line.value).step
        assert isinstance(step, StrategyStep), "the completed line reads as typed in full"
        assert (step.params, step.interval) == ({"memory": "10m", "min_busy_ms": 20}, 5.0)
        await pilot.press("ctrl+u", *"load sine ", "tab")
        assert line.value == "load sine mean="
        await pilot.press("ctrl+u", *"fault delay taskmanager-1 100ms 30s j", "tab")
        assert line.value == "fault delay taskmanager-1 100ms 30s jitter_ms="


async def test_tab_on_the_line_completes_from_the_session_and_lists_the_candidates(engine: Engine) -> None:
    engine.store.update(
        lambda s: s.job.operators.extend([OperatorRecord(name="expensive"), OperatorRecord(name="source")])
    )
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session to open", 60)
        await pilot.press("colon", *"stra", "tab")
        line = app.screen.query_one(Input)
        assert isinstance(app.screen, CommandLineScreen) and line.value == "strategy ", "Tab kept the focus"
        await pilot.press("ctrl+u", *"rescale e", "tab")
        assert line.value == "rescale expensive "
        await pilot.press("ctrl+u", *"re", "tab")
        await pilot.pause()
        listed = app.screen.query_one("#candidates", Static)
        assert line.value == "res" and listed.display
        assert listed.region.bottom <= line.region.y, "the list sits above the line, not under or over it"
        assert all(word in shown(app) for word in ("rescale", "resume", "revert"))
        await pilot.press("tab")
        await pilot.pause()
        assert line.value == "rescale" and listed.display
        await pilot.press("x")
        await pilot.pause()
        assert not listed.display, "typing ends the completion"


@pytest.mark.parametrize(("typed", "section"), [("?", "commands"), ("help", "commands"), ("help faults", "chaos")])
async def test_help_typed_on_the_line_opens_at_its_section(engine: Engine, typed: str, section: str) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *typed, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help", 20)
        help_screen: Screen[None] = app.screen
        title = help_screen.query_one(f"#help-{section}", Static)
        await wait_for(pilot, lambda: help_screen.query_one(VerticalScroll).scroll_y > 0, "the scroll", 20)
        assert str(title.render()).split()[0] in shown(app)
        assert abs(help_screen.query_one(VerticalScroll).scroll_y - title.virtual_region.y) <= 1, "at its title"


async def test_help_refuses_an_unknown_section(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"help nowhere", "enter")
        await wait_for(pilot, lambda: ":help takes one of" in shown(app), "the refusal", 20)
        assert not isinstance(app.screen, HelpScreen)
