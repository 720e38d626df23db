"""Waiting in Pilot tests: a condition with a deadline, re-checked after each of Textual's own pauses (never a bare
sleep), and what was on the message line when it timed out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from scaletui.tui.widgets.status import MessageLine


def message(app) -> str:  # type: ignore[no-untyped-def]
    """The main screen's message line, whatever screen is on top."""
    lines = list(app.screen_stack[0].query(MessageLine)) if app.screen_stack else []
    return getattr(lines[0], "message", "") if lines else ""


async def wait_for(pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = 180.0) -> None:
    """For conditions on the engine's own threads (a cluster starting, a run finishing), which no Textual wait
    covers; UI-only conditions use `pilot.pause()` and `app.workers.wait_for_complete()` directly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; message line: {message(pilot.app)}")
        await pilot.pause(0.2)


async def fill(pilot: Pilot, app, values: dict[str, str]):  # type: ignore[no-untyped-def]
    """Wait for a dialog, set its fields by name and press ctrl+s; returns the dialog, which stays up on an error."""
    from scaletui.tui.screens.form import FormScreen

    await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the dialog", 20)
    form = app.screen
    for name, value in values.items():
        form.query_one(f"#field-{name}").value = value
    await pilot.press("ctrl+s")
    return form


CHAR_WIDTH = 12.2
"""Rich's SVG export draws a character 20 px high and 0.61 of that wide."""


def screen_text(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The screen as lines of text, read from the same SVG export the snapshots use."""
    import html
    import re

    pattern = (
        r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
        r'clip-path="url\(#terminal-\d+-line-(\d+)\)">(.*?)</text>'
    )
    rows: dict[int, list[tuple[float, str]]] = {}
    for m in re.finditer(pattern, app.export_screenshot()):
        rows.setdefault(int(m.group(2)), []).append((float(m.group(1)), html.unescape(m.group(3))))
    lines = []
    for n in sorted(rows):
        line = ""
        for x, text in sorted(rows[n]):
            line = line.ljust(round(x / CHAR_WIDTH)) + text
        lines.append(line.replace("\u00a0", " "))
    return lines
