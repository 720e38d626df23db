"""The dashboard: on a wide terminal the cluster's panes are on screen together, each focusable and driven by its
own keys; on 80x24 the tabs stay; L switches and the session remembers."""

from __future__ import annotations

from textual.widgets import Tabs

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from tests.tui.pilot import message, screen_text, wait_for


def shown(app: ScaletuiApp) -> set[str]:
    """Panes laid out on screen with room for their contents."""
    return {p.pane_id for p in app.panes() if p.display and p.region.width > 20 and p.region.height > 4}


async def test_a_new_session_at_160x45_shows_three_panes_with_their_contents(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert shown(app) == {"reservations", "pods", "chaos"}
        text = "\n".join(screen_text(app))
        for content in ("No reservation yet", "Cluster stopped", "No active fault", "Latency matrix"):
            assert content in text
        await pilot.press("4")
        await pilot.pause()
        assert shown(app) == {"plots", "pods", "chaos"}
        assert "No metrics yet" in "\n".join(screen_text(app))


async def test_80x24_keeps_one_pane_under_the_tabs(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert shown(app) == {"plots"}
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert shown(app) == {"plots", "pods", "chaos"}
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert shown(app) == {"plots"}


async def test_focus_moves_between_dashboard_panes_and_their_keys_follow(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        assert app.focused is not None and app.pane("pods") in app.focused.ancestors_with_self
        assert "pods.start" in {b.binding.id for b in app.screen.active_bindings.values()}
        await pilot.press("tab")
        await pilot.pause()
        assert app.active_pane == "chaos" and app.query_one(Tabs).active == "tab-chaos"
        ids = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "chaos.fire" in ids and "pods.start" not in ids
        assert shown(app) == {"reservations", "pods", "chaos"}, "moving focus must not change what is shown"
        await pilot.press("f")
        await wait_for(pilot, lambda: "No cluster is running to inject a fault into" in message(app), "Chaos's f")


async def test_layout_key_switches_and_the_session_remembers(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("4", "L")
        await pilot.pause()
        assert shown(app) == {"plots"}
        assert engine.store.session.ui.layout == "tabs"
    again = ScaletuiApp(engine)
    async with again.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        assert shown(again) == {"plots"}
        await pilot.press("colon", *"layout auto", "enter")
        await pilot.pause()
        assert shown(again) == {"plots", "pods", "chaos"}
        assert engine.store.session.ui.layout == "auto"
    small = ScaletuiApp(engine)
    async with small.run_test(size=(80, 24)) as pilot:
        await pilot.press("L")
        await pilot.pause()
        assert shown(small) == {"plots", "pods", "chaos"}, "L asks for the dashboard even on a small terminal"
        assert engine.store.session.ui.layout == "dashboard"
