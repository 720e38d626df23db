"""The snapshot matrix: every pane in the dark and the 16-colour theme at 80x24 (tabs) and 160x45 (the dashboard),
then help, the palette, the `:` line, the filter, each dialog, the run history and a run's summary.

Fixture sessions live in tests/fixtures/sessions/ (demo: a reservation, stages, a job, two faults and a finished
run; crashed: Flink processes left by a dead scaletui). The clock is pinned; the Pods pane and the latency matrix get
a fixed cluster through the engine's bus, as the live loop would publish it. `--snapshot-update` rewrites them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from scaletui.chaos import procs
from scaletui.cluster.base import Instance
from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.events import ClusterChanged, LatencyEvent
from scaletui.latency.matrix import LatencyMatrix
from scaletui.tui import clock
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.panes.pods import STOP_KEYS, stop_question
from scaletui.tui.screens.confirm import ConfirmScreen

REPO = Path(__file__).parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "sessions"
PINNED = 1_800_000_000.0
SIZES = {"80x24": (80, 24), "160x45": (160, 45)}
INSTANCES = (
    Instance("jobmanager", "jobmanager", "running", "localhost", started_at=PINNED - 900, cpu_cores=0.08,
             memory_bytes=412 * 2**20),
    Instance("taskmanager-1", "taskmanager", "running", "localhost", started_at=PINNED - 880, restarts=1,
             cpu_cores=0.93, memory_bytes=1210 * 2**20, slots_used=2, slots_total=2),
    Instance("taskmanager-2", "taskmanager", "starting", "localhost", started_at=PINNED - 20, cpu_cores=0.11,
             memory_bytes=380 * 2**20, slots_used=0, slots_total=2),
)  # fmt: skip
MATRIX = LatencyMatrix(
    nodes=("jobmanager", "taskmanager-1", "taskmanager-2"),
    rtt_ms={("jobmanager", "taskmanager-1"): 0.4, ("jobmanager", "taskmanager-2"): 201.5,
            ("taskmanager-1", "taskmanager-2"): 203.2},
    ts=PINNED,
    source="probe",
)  # fmt: skip


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """An input's cursor blinks every 0.5 s: on a loaded machine the picture could be taken in either phase (the
    filter snapshot failed in CI that way). Every key shows the cursor again, so without the blink it is always on."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def own_faults(path: Path) -> None:
    """Mark the fixture's faults as this process's, so start-up recovery (which reverts faults of dead owners) keeps
    them on screen."""
    text = path.read_text()
    owner = f'undo = {{ owner_pid = {os.getpid()}, owner_start = {procs.start_time(os.getpid())}, state = "active" }}'
    path.write_text(text.replace('undo = { state = "active" }', owner))


def open_session(app_config: AppConfig, monkeypatch: pytest.MonkeyPatch, name: str) -> Engine:
    monkeypatch.setattr(clock, "now", lambda: PINNED)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.chdir(REPO)  # the demo run's results_dir is relative to the repository, as results/ would be
    target = Path(app_config.paths.sessions) / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("results"))
    own_faults(target / "session.toml")
    return Engine(app_config, name)


@pytest.fixture
def demo(app_config: AppConfig, monkeypatch: pytest.MonkeyPatch):
    engine = open_session(app_config, monkeypatch, "demo")
    yield engine
    engine.close()
    time.tzset()


def app_in(engine: Engine, theme: str = "dark") -> ScaletuiApp:
    engine.store.update(lambda s: setattr(s.ui, "theme", theme))
    return ScaletuiApp(engine)


async def settled(pilot: Pilot) -> None:
    """The session opened and its last run restored into the plots (a worker), before anything is pressed."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def live_cluster(engine: Engine) -> Callable[[Pilot], Awaitable[None]]:
    """What the live loop publishes for a running local cluster: its instances and a latency matrix."""

    async def publish(pilot: Pilot) -> None:
        await settled(pilot)
        engine.bus.publish(ClusterChanged(source="live", instances=INSTANCES))
        engine.bus.publish(LatencyEvent(source="latency", matrix=MATRIX))
        await pilot.pause()

    return publish


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("theme", ["dark", "ansi16"])
@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5"])
def test_pane(snap_compare, demo: Engine, key: str, theme: str, size: str) -> None:
    app = app_in(demo, theme)
    assert snap_compare(app, press=[key], terminal_size=SIZES[size], run_before=live_cluster(demo))


DIALOGS: dict[str, list[str]] = {
    "help": ["question_mark"],
    "palette": ["ctrl+p", *"fault"],
    "command_line": ["colon", *"pods"],
    "filter": ["5", "slash", *"taskmanager-2"],
    "reserve": ["1", "n"],
    "release": ["1", "x"],
    "load": ["4", "l"],
    "rescale": ["4", "p"],
    "strategy": ["4", "a"],
    "decisions": ["4", "h"],
    "fire_fault": ["5", "f"],
    "runs": ["R"],
    "new_run": ["R", "n"],
}


@pytest.mark.parametrize("name", DIALOGS)
def test_dialog(snap_compare, demo: Engine, name: str) -> None:
    if name == "fire_fault":  # f asks first whether a fault can be fired: this machine's process faults can
        from scaletui.chaos.process_faults import LocalFaults

        demo.faults.attach("local", (LocalFaults(),), lambda: list(INSTANCES))

    async def opened(pilot: Pilot) -> None:
        """The dialog once its workers are done: the run history reads its runs' files in one."""
        await settled(pilot)
        await pilot.press(*DIALOGS[name])
        await pilot.app.workers.wait_for_complete()

    assert snap_compare(app_in(demo), terminal_size=(80, 24), run_before=opened)


def test_load_dialog_keeps_the_input_and_shows_the_whole_error(snap_compare, demo: Engine) -> None:
    async def mistype(pilot: Pilot) -> None:
        await settled(pilot)
        await pilot.press("4", "l")
        await pilot.pause()
        pilot.app.screen.query_one("#field-params").value = 'rate = 200, steps = [["30s", 600]'  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")

    assert snap_compare(app_in(demo), terminal_size=(80, 24), run_before=mistype)


def test_stop_cluster_question(snap_compare, demo: Engine) -> None:
    async def ask(pilot: Pilot) -> None:
        await settled(pilot)
        await pilot.press("3")
        pilot.app.push_screen(ConfirmScreen(stop_question(demo.store.session.job), STOP_KEYS))

    assert snap_compare(app_in(demo), terminal_size=(80, 24), run_before=ask)


def test_run_summary(snap_compare, demo: Engine) -> None:
    async def open_run(pilot: Pilot) -> None:
        await pilot.press("R", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_in(demo), terminal_size=(100, 40), run_before=open_run)


def test_cluster_left_by_a_crash(snap_compare, app_config: AppConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = open_session(app_config, monkeypatch, "crashed")
    try:
        assert snap_compare(app_in(engine), press=["3", "s"], terminal_size=(80, 24))
    finally:
        engine.close()
        time.tzset()


def test_replay_screen(snap_compare, demo: Engine) -> None:
    """The demo run played back, paused at one minute: plots, the strategy line and the position bar."""
    run_dir = Path(demo.store.session.runs[-1].results_dir)

    async def at_one_minute(pilot: Pilot) -> None:
        from scaletui.tui.screens.replay import ReplayScreen

        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReplayScreen)
        screen.player.paused = True
        screen.player.seek_elapsed(60)
        screen._refresh()
        plots = screen.query_one("PlotsPane")
        for _ in range(100):  # the plots build on their first draw, then draw after the next refresh
            if plots.plots and plots._drawn == screen.player.series.version:  # type: ignore[attr-defined]
                break
            await pilot.pause(0.05)
        await pilot.pause()

    app = ScaletuiApp(demo, replay=run_dir)
    assert snap_compare(app, terminal_size=(100, 30), run_before=at_one_minute)
