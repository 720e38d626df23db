"""The help and the Plots header at 80x24 (review 34 F20): the key column was 36 wide for one long key list, so
nearly every description wrapped; the header wrapped inside a phrase (`TMs 1 free slots` / `1`)."""

from __future__ import annotations

import pytest
from rich.console import Console

from scaletui.engine import Engine
from scaletui.metrics.model import JobSample
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.panes.plots import headline
from scaletui.tui.screens.help import KEY_WIDTH, help_sections
from tests.tui.pilot import screen_text


@pytest.mark.parametrize("replay", [False, True])
def test_every_help_group_keeps_the_key_column_narrow(replay: bool) -> None:
    """At 80x24 the help's text is 66 columns: every description starts after the capped key column, in every
    group alike; the replay's list of refused keys wraps in its cell instead."""
    console = Console(width=66, record=True)
    for section in help_sections({}, replay):
        console.print(section.table)
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    assert all(line[KEY_WIDTH : KEY_WIDTH + 2] == "  " for line in lines), "a key widened its column"
    described = [line for line in lines if line[KEY_WIDTH + 2 :].strip()]
    assert len(described) < len(lines) * 1.3, "most descriptions fit on one line"
    if replay:
        assert any(line.startswith("4 5 L R :") for line in lines) and any(line.startswith("ctrl+g") for line in lines)


async def test_the_help_at_80x24_starts_descriptions_near_the_keys(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        row = next(line for line in screen_text(app) if "app: command line" in line)
        assert row.index("app: command line") < 25 and "(:pods, :rescale OP N)" in row, row


def test_the_plots_header_breaks_between_phrases() -> None:
    sample = JobSample(ts=0.0, target_rate=900, achieved_rate=1104, latency_ms={"p50": 28506, "p99": 28849},
                       taskmanagers=2, free_slots=0)  # fmt: skip
    assert headline(sample, 76).splitlines() == [
        "rate target 900/s achieved 1,104/s  latency p50 28,506ms p99 28,849ms",
        "TMs 2 free slots 0",
    ]
    assert "\n" not in headline(sample, 156)


def test_help_takes_every_group_it_shows_by_name() -> None:
    """`:help dialogs` was refused although the help has that group: the names `:help` takes were a list kept by
    hand beside the groups. A command is listed by its arguments, its word being in the key column already."""
    from scaletui.tui.screens.help import SECTIONS

    assert set(SECTIONS) == {section.name for section in help_sections({})}
    console = Console(width=100, record=True)
    console.print(next(s for s in help_sections({}) if s.name == "commands").table)
    text = console.export_text()
    assert ":rescale        OPERATOR N  " in text and ":pods           pane: pods" in text, text
