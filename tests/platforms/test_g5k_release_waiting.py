"""A reservation still waiting for Grid5000 can be given back from the app: `x` in the Reservations pane cancels it
(its job is deleted) instead of being queued behind it until the machines are granted (review 37 F1). On the fake
Grid5000 API (tests/fakes/g5k.py) with `hold`, which keeps the job waiting for as long as the test runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from scaletui.errors import UserError
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


def test_a_release_does_not_run_beside_a_reservation_that_did_not_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 38 F2: a reservation whose machines are being set up (EnOSlib's init, which no cancel stops) did not
    end within the release's wait, and the release went on beside it: the reservation, ending after it, recorded
    its released machines as running. The release is refused instead, and goes through once the reservation ended."""
    from scaletui.engine import testbed
    from scaletui.session.model import Reservation

    class SettingUp:
        """A flow whose reservation is past its job's wait: it ends when `done` is set, whatever its cancel says."""

        def __init__(self) -> None:
            self.begun, self.done = threading.Event(), threading.Event()
            self.released: list[str] = []

        def reserve(self, name: str, cancel: threading.Event) -> Reservation:
            self.begun.set()
            self.done.wait(60)
            return Reservation(platform=name, type="G5k", state="running")

        def release(self, name: str, *, confirmed: bool) -> Reservation:
            self.released.append(name)
            return Reservation(platform=name, type="G5k", state="released")

    monkeypatch.setattr(testbed, "RESERVATION_END_S", 0.1)
    engine = Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s")
    flow = SettingUp()
    monkeypatch.setattr(engine.testbed, "_flow", flow)
    reserving = threading.Thread(target=engine.testbed.reserve, args=("g5k",), daemon=True)
    try:
        reserving.start()
        assert flow.begun.wait(30)
        with pytest.raises(UserError, match="still being set up"):
            engine.testbed.release("g5k")
        assert flow.released == [], "released beside the reservation still under way"
        flow.done.set()
        reserving.join(30)
        assert engine.testbed.release("g5k") == "g5k: released."
        assert flow.released == ["g5k"]
    finally:
        flow.done.set()
        engine.close()
