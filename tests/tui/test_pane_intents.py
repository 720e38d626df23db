"""A pane's keys while the session opens, while work of theirs is under way, and what they say beforehand: a second
`+` waits for the first and both are said, a key pressed before the session is open says so, the Pods pane's hint
follows a new reservation, and the run history's `n` offers an experiment of the session's platform."""

from __future__ import annotations

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from tests.tui.pilot import fill, screen_text, wait_for


async def test_the_pods_hint_follows_a_reservation_made_in_the_app(app_config: AppConfig) -> None:
    """After reserving the simulator, Pods still said that s starts local Flink until the app was restarted."""
    engine = Engine(app_config, "fresh")
    try:
        app = ScaletuiApp(engine)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("3")
            await wait_for(pilot, lambda: "start local Flink" in " ".join(screen_text(app)), "the local Flink hint")
            await pilot.press("1", "n")
            await fill(pilot, app, {"platform": "simulator"})
            await wait_for(pilot, lambda: engine.store.session.reserved_platform() == "simulator", "the reservation")
            await pilot.press("3")
            text = " ".join(screen_text(app))
            assert "Press s to start it on simulator, the newest reservation" in text, text
            assert "local Flink" not in text
    finally:
        engine.close()
