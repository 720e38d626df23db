"""Reservations and Stages keys for real: reserve the local platform, run the local playbook with ansible-runner,
watch its tasks stream, cancel a run, release with confirmation."""

from __future__ import annotations

from textual.widgets import RichLog

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message, wait_for


def select_row(table: FilterTable, key: str) -> None:
    keys = [k for k, _ in table.rows]
    table.table.move_cursor(row=keys.index(key))


async def test_reserve_run_stage_cancel_and_release(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the platform chooser")
        app.screen.query_one("#field-platform").value = "local"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: [(r.platform, r.state) for r in engine.store.session.reservations] == [("local", "running")],
            "the local reservation",
        )
        await pilot.press("2")
        stages = app.pane("stages").query_one(FilterTable)
        select_row(stages, "local")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                engine.store.session.stages.get("local", None) is not None
                and engine.store.session.stages["local"].state in ("done", "failed")
            ),
            "the local stage",
            300,
        )
        assert engine.store.session.stages["local"].state == "done", engine.store.session.stages["local"].message
        log = app.pane("stages").query_one(RichLog)
        assert any("local" in str(line.text) for line in log.lines)
        select_row(stages, "infrastructure")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                engine.store.session.stages.get("infrastructure") is not None
                and engine.store.session.stages["infrastructure"].state == "running"
            ),
            "the stage to start",
        )
        await pilot.press("c")
        await wait_for(
            pilot, lambda: engine.store.session.stages["infrastructure"].state == "cancelled", "the cancelled stage", 60
        )
        await wait_for(pilot, lambda: not app.pane("stages").running_work(0), "the cancelled run's worker to end")
        await pilot.press("r")  # ctrl+g cancels the focused pane's running work, a stage as well as `c`
        await wait_for(
            pilot, lambda: engine.store.session.stages["infrastructure"].state == "running", "the stage to run again"
        )
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: "Cancelling running infrastructure" in message(app), "the cancel said")
        await wait_for(
            pilot,
            lambda: engine.store.session.stages["infrastructure"].state == "cancelled",
            "the stage cancelled by ctrl+g",
            60,
        )
        await pilot.press("1")
        select_row(app.pane("reservations").query_one(FilterTable), "local")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("n")
        await wait_for(pilot, lambda: "local kept" in message(app), "n keeps it")
        assert engine.store.session.reservations[0].state != "released"
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation again")
        await pilot.press("y")
        await wait_for(pilot, lambda: engine.store.session.reservations[0].state == "released", "the release")
