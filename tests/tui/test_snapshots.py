"""Snapshots of each pane at 80x24 with a fixed session and a pinned clock (tests/fixtures/sessions/demo)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from scaletui.chaos import procs
from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.tui import clock
from scaletui.tui.app import ScaletuiApp

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sessions" / "demo"
PINNED = 1_800_000_000.0


def own_fault(path: Path) -> None:
    """Mark the fixture's fault as this process's, so start-up recovery (which reverts faults of dead owners) keeps
    it on screen."""
    text = path.read_text()
    owner = f'undo = {{ owner_pid = {os.getpid()}, owner_start = {procs.start_time(os.getpid())}, state = "active" }}'
    path.write_text(text.replace('undo = { state = "active" }', owner))


@pytest.fixture
def demo_app(app_config: AppConfig, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clock, "now", lambda: PINNED)
    monkeypatch.setenv("TZ", "UTC")
    target = Path(app_config.paths.sessions) / "demo"
    shutil.copytree(FIXTURE, target)
    own_fault(target / "session.toml")
    engine = Engine(app_config, "demo")
    yield ScaletuiApp(engine)
    engine.close()


@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"])
def test_pane_snapshot(snap_compare, demo_app: ScaletuiApp, key: str) -> None:
    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        demo_app.query_one("#message").update("")
        await pilot.pause()

    assert snap_compare(demo_app, press=[key], terminal_size=(80, 24), run_before=settle)
