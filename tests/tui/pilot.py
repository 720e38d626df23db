"""Waiting in Pilot tests: poll a condition with a deadline (never a bare sleep), and say what was on the message
line when it timed out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from scaletui.tui.widgets.status import MessageLine


def message(app) -> str:  # type: ignore[no-untyped-def]
    """The main screen's message line, whatever screen is on top."""
    lines = list(app.screen_stack[0].query(MessageLine)) if app.screen_stack else []
    return str(lines[0].render()) if lines else ""


async def wait_for(pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = 180.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; message line: {message(pilot.app)}")
        await pilot.pause(0.2)
