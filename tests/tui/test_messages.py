"""The message line keeps an error above the routine notices that follow it for a while, and `M` (or `:messages`)
lists every message of the run: an error is not wiped a second later by 'Cluster running', and a burst of startup
warnings is not down to its last one."""

from __future__ import annotations

from textual.widgets import RichLog, Static

from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.text import TextScreen
from scaletui.tui.widgets import status
from scaletui.tui.widgets.status import MessageLine
from tests.tui.pilot import message, screen_text, wait_for


async def test_an_error_stays_above_later_notices_then_gives_way(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(status.HOLD_S, "error", 3.0)
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.say("Rescale failed: expensive has max parallelism 4.", "error")
        app.say("Cluster running.")
        await pilot.pause()
        held, latest = app.query_one("#held", Static), app.query_one("#latest", Static)
        text = "\n".join(screen_text(app)[-4:])
        assert "Rescale failed" in text and "Cluster running." in text, text
        assert held.has_class("-error") and not latest.has_class("-error") and message(app) == "Cluster running."
        # a newer error takes the held place at once; the info after it is shown beneath
        app.say("Fault delay failed: no such instance.", "error")
        app.say("Load set to 300 r/s.")
        await pilot.pause()
        text = "\n".join(screen_text(app)[-4:])
        assert "Fault delay failed" in text and "Rescale failed" not in text and "Load set" in text, text
        await wait_for(pilot, lambda: not held.display, "the held error to give way", timeout=30.0)
        # the screen follows at its next refresh, which a loaded machine can put off past the flag (CI saw it)
        shown = lambda: "\n".join(screen_text(app)[-4:])  # noqa: E731
        await wait_for(pilot, lambda: "Fault delay failed" not in shown(), "the screen without the error", 30.0)
        assert "Load set" in shown(), shown()


async def test_messages_lists_every_message_of_the_run_in_order(engine) -> None:  # type: ignore[no-untyped-def]
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for n in range(3):
            app.say(f"startup warning {n}", "warning")
        app.say("Theme dark.")
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        await wait_for(pilot, lambda: app.screen.query_one(RichLog).lines, "the messages to load", timeout=30.0)
        lines = [strip.text for strip in app.screen.query_one(RichLog).lines]
        said = [line for line in lines if "startup warning" in line or "Theme dark." in line]
        assert [line.split("  ", 2)[-1].strip() for line in said] == [f"startup warning {n}" for n in range(3)] + [
            "Theme dark."
        ]
        assert "warning" in said[0] and "info" in said[-1]
        await pilot.press("escape", "colon", *"messages", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        assert len(app.main_screen().query_one(MessageLine).history) >= 4


async def test_a_kill_fault_s_end_does_not_claim_a_revert(engine) -> None:  # type: ignore[no-untyped-def]
    """A kill is not undone (the cluster starts the process again by itself): its expiry said 'was reverted'."""
    from scaletui.events import FaultEvent

    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session to open", timeout=60.0)
        end = FaultEvent(source="chaos", fault_id="f1", kind="kill", action="expired", targets=("jobmanager",))
        engine.bus.publish(end)
        await wait_for(pilot, lambda: "Fault f1 (kill on jobmanager) ended" in message(app), "the kill's end", 30.0)
        assert "revert" not in message(app)
