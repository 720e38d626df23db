"""The fault form refuses what would fire a fault nobody asked for."""

from __future__ import annotations

import pytest

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.form import FormScreen
from tests.tui.pilot import fill, wait_for


async def test_an_emptied_targets_field_is_refused_not_read_as_every_taskmanager(
    sim_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 37 F3: on local Flink, Targets emptied by hand fired a kill on every TaskManager."""
    fired: list[list[str]] = []
    monkeypatch.setattr(sim_engine.faults, "refusal", lambda: None)
    monkeypatch.setattr(sim_engine.live, "fire_fault", lambda kind, targets, *rest: fired.append(targets) or "")
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "f")
        form = await fill(pilot, app, {"kind": "kill", "targets": " , "})
        await pilot.pause()
        assert isinstance(app.screen, FormScreen) and app.screen is form, f"the fault fired at {fired}"
        error = form.query_one("#form-error")
        await wait_for(pilot, lambda: "Targets: name at least one target" in str(error.render()), "the refusal")
        assert fired == []


def test_the_command_line_refuses_a_fault_with_no_target() -> None:
    """Review 38 F9: `:fault kill , 30s` read the targets as none, the experiment file's default of every
    TaskManager, which the fault form refuses; the `:` line refuses it too, and still reads named targets."""
    from scaletui.errors import ConfigError
    from scaletui.tui.intent_parser import parse

    with pytest.raises(ConfigError, match="name at least one target"):
        parse("fault kill , 30s")
    step = parse("fault kill taskmanager-1,,pid:12 30s").step
    assert step is not None and step.targets == ["taskmanager-1", "pid:12"]  # type: ignore[attr-defined]
