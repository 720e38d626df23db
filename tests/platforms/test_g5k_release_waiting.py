"""A reservation still waiting for Grid5000 can be given back from the app: `x` in the Reservations pane cancels it
(its job is deleted) instead of being queued behind it until the machines are granted (review 37 F1). On the fake
Grid5000 API (tests/fakes/g5k.py) with `hold`, which keeps the job waiting for as long as the test runs."""

from __future__ import annotations

from pathlib import Path

from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from tests.fakes.g5k import FakeGrid5000
from tests.platforms.test_g5k_setup_failure import conf_dir


async def test_x_cancels_a_reservation_still_waiting_and_deletes_its_job(tmp_path: Path, g5k_api: FakeGrid5000) -> None:
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.screens.confirm import ConfirmScreen
    from scaletui.tui.widgets.status import MessageLine
    from tests.tui.pilot import fill, wait_for

    conf_dir(tmp_path)
    g5k_api.hold = True
    engine = Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s")

    def recorded() -> tuple[str, str]:
        found = engine.store.session.reservations
        return (found[0].state, found[0].job_id) if found else ("", "")

    try:
        app = ScaletuiApp(engine)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("1", "n")
            await fill(pilot, app, {"platform": "g5k"})
            await wait_for(pilot, lambda: recorded()[0] == "waiting" and recorded()[1], "the job waiting", 30)
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation", 20)
            await pilot.press("y")
            await wait_for(pilot, lambda: recorded()[0] == "released", "the reservation released", 30)
            transcript = app.main_screen().query_one(MessageLine).transcript
            await wait_for(pilot, lambda: "reservation cancelled" in transcript(), "the cancel said", 30)
            assert "queued behind" not in transcript(), transcript()
            await wait_for(pilot, lambda: not app.pane("reservations").running_work(0), "no work left", 30)
    finally:
        engine.close()
    assert [job["state"] for job in g5k_api.jobs.values()] == ["error"], "the waiting job was deleted"


async def test_ctrl_g_in_the_reservations_pane_cancels_a_reservation_still_waiting(
    tmp_path: Path, g5k_api: FakeGrid5000
) -> None:
    """ctrl+g cancels the focused pane's running work, as the README says, but the pane's reserve had no cancel event:
    it answered "Cancelling nothing" and the job kept waiting (review 37 F2)."""
    from scaletui.tui.app import ScaletuiApp
    from tests.tui.pilot import fill, message, wait_for

    conf_dir(tmp_path)
    g5k_api.hold = True
    engine = Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s")

    def state() -> str:
        found = engine.store.session.reservations
        return found[0].state if found and found[0].job_id else ""

    try:
        app = ScaletuiApp(engine)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("1", "n")
            await fill(pilot, app, {"platform": "g5k"})
            await wait_for(pilot, lambda: state() == "waiting", "the job waiting", 30)
            await pilot.press("ctrl+g")
            assert message(app) == "Cancelling reserving g5k (ctrl+g cancels).", message(app)
            await wait_for(pilot, lambda: state() == "released", "the reservation cancelled", 30)
            await wait_for(pilot, lambda: not app.pane("reservations").running_work(0), "no work left", 30)
    finally:
        engine.close()
    assert [job["state"] for job in g5k_api.jobs.values()] == ["error"], "the waiting job was deleted"
