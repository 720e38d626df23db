"""A live session driven by keys leaves a run that replays twice over: its `experiment.toml` re-runs under
`--script` and makes the same decisions, and `scaletui replay` plays it back through the panes and seeks.

On the simulator at 20 simulated seconds per second, so two simulated minutes take a few seconds.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent

from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from scaletui.engine.experiment import ExperimentRun
from scaletui.engine.prepare import prepare_experiment
from scaletui.events import ClusterChanged
from scaletui.session.model import RunRecord
from scaletui.tui.actions import ACTIONS, replay_refused_keys, works_in_replay
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.help import HelpScreen, help_sections
from scaletui.tui.screens.replay import NOT_HERE, ReplayScreen
from scaletui.tui.screens.runs import RunsScreen
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import fill, message, screen_text, wait_for

ROOT = Path(__file__).parents[2]


@pytest.fixture
def fast_config(app_config: AppConfig, tmp_path: Path) -> AppConfig:
    conf = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", conf)
    sim = conf / "platforms" / "simulator.toml"
    sim.write_text(sim.read_text().replace("live_speed = 1.0", "live_speed = 20.0"))
    return app_config.model_copy(update={"paths": app_config.paths.model_copy(update={"conf": str(conf)})})


@pytest.fixture
def engine(fast_config: AppConfig) -> Iterator[Engine]:
    eng = Engine(fast_config, "keys")
    yield eng
    eng.close()


def decisions(run_dir: Path) -> list[tuple[float, dict[str, int], bool, str]]:
    out = []
    for line in (run_dir / "decisions.jsonl").read_text().splitlines():
        d = json.loads(line)
        out.append((round(d["t_s"], 1), d["parallelism"], d["applied"], d["reason"]))
    return out


async def drive_a_live_session(engine: Engine) -> Path:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "n")
        await fill(pilot, app, {"platform": "simulator"})
        await wait_for(pilot, lambda: any(r.state == "running" for r in engine.store.session.reservations), "sim")
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: engine.live.is_open, "the simulated cluster", 60)
        run = engine.live.run
        assert run is not None
        await pilot.press("4", "a")
        await fill(pilot, app, {"name": "ds2"})
        await wait_for(pilot, lambda: engine.store.session.strategy.name == "ds2", "ds2 on")
        await wait_for(pilot, lambda: run.elapsed() > 20, "20 simulated seconds")
        await pilot.press("l")
        await fill(pilot, app, {"profile": "step", "params": 'rate = 250, steps = [["20s", 900]]'})
        await wait_for(pilot, lambda: "Load: step" in message(app), "the load step")
        await wait_for(pilot, lambda: any(d.applied for d in engine.series.decisions), "a decision applied", 60)
        await pilot.press("p")
        await fill(pilot, app, {"parallelism": "2"})
        said = ("expensive: ", "expensive already runs at 2")  # ds2 may have chosen 2 already: a no-op, still a step
        await wait_for(pilot, lambda: any(text in message(app) for text in said), "the hand rescale")
        await pilot.press("space")
        await wait_for(pilot, lambda: not engine.store.session.strategy.paused, "the autoscaler resumed")
        await wait_for(pilot, lambda: run.elapsed() > 120, "two simulated minutes", 60)
        run_dir = engine.live.experiment.results_dir if engine.live.experiment else None
        await pilot.press("3", "S")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question before stopping", 20)
        await pilot.press("y")
        await wait_for(pilot, lambda: not engine.live.is_open, "the cluster to stop", 60)
    assert run_dir is not None
    return run_dir


async def test_keys_make_a_run_that_script_replays_with_the_same_decisions(engine: Engine) -> None:
    live_dir = await drive_a_live_session(engine)
    recorded = live_dir / "experiment.toml"
    text = recorded.read_text()
    assert "scaletui --script" in text and text.count("[[timeline]]") >= 4
    for verb in ('do = "strategy"', 'do = "load"', 'do = "rescale"', 'do = "resume"'):
        assert verb in text, verb

    prepared = prepare_experiment(recorded, engine.conf_dir)
    result = ExperimentRun(engine.ctx, prepared).execute(threading.Event())
    assert result.status == "done", result.message
    assert result.results_dir is not None
    live, again = decisions(live_dir), decisions(result.results_dir)
    assert len(live) >= 4 and any(applied for _, _, applied, _ in live)
    replayed = [d for d in again if d[0] <= live[-1][0]]
    assert replayed == live
    by_keys, by_file = steps_taken(live_dir), steps_taken(result.results_dir)
    assert {by for _, by in by_keys} == {"hand"} and {by for _, by in by_file} == {"file"}
    assert [do for do, _ in by_keys] == [do for do, _ in by_file] and "rescale" in [do for do, _ in by_keys]


def steps_taken(run_dir: Path) -> list[tuple[str, str]]:
    """Each step recorded in the run's state.jsonl and who took it: the keys (hand) or the file's timeline."""
    records = map(json.loads, (run_dir / "state.jsonl").read_text().splitlines())
    return [(r["step"]["do"], r["by"]) for r in records if r["type"] == "StepTaken"]


@pytest.fixture(scope="module")
def hour_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sim-hour-ds2's finished run, made once for both sizes (a simulated hour: 8 CPU-s); the replays only read it."""
    home = tmp_path_factory.mktemp("hour")
    paths = Paths(sessions=str(home / "sessions"), results=str(home / "results"), cache=str(home / "cache"),
                  conf=str(ROOT / "conf"))  # fmt: skip
    eng = Engine(AppConfig(paths=paths), "hour")
    try:
        prepared = prepare_experiment(ROOT / "conf" / "experiments" / "sim-hour-ds2.toml", eng.conf_dir)
        result = ExperimentRun(eng.ctx, prepared).execute(threading.Event())
        assert result.results_dir is not None, result.message
    finally:
        eng.close()
    return result.results_dir


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_replay_opens_and_seeks(engine: Engine, hour_once: Path, size: tuple[int, int]) -> None:
    app = ScaletuiApp(engine, replay=hour_once)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), "the replay screen", 30)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        player = screen.player
        await pilot.press("space")
        assert player.paused
        at = player.position
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: player.position > at, "the next decision")
        assert player.series.decisions and player.series.decisions[-1].ts == player.position
        await pilot.press("g")
        await fill(pilot, app, {"at": "soon"})
        await pilot.pause()
        assert isinstance(app.screen, FormScreen), "a time it cannot read keeps the dialog open with the error"
        await fill(pilot, app, {"at": "30m"})
        await wait_for(pilot, lambda: abs(player.elapsed - 1800) < 1, "the position at 30 minutes")
        await wait_for(pilot, lambda: "30m00s" in str(screen.query_one("#replay-bar").render()), "the bar at 30m")
        plots = screen.query_one("PlotsPane")
        await wait_for(pilot, lambda: plots.plots, "the plots drawn at that position")  # type: ignore[attr-defined]
        assert "ds2" in plots.scaling_line()  # type: ignore[attr-defined]
        await pilot.press("left")
        await wait_for(pilot, lambda: abs(player.elapsed - 1790) < 1, "ten seconds back")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit with the replay", 10)


# --- a replay is read-only and fits 80x24 ------------------------------------------------------------------------

LIVE_INVITES = ("Press s", "Press f", "Press j", "Start the cluster", "press a", "pane: reservations")


@pytest.fixture(scope="module")
def recorded_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunRecord]:
    """A finished run of twenty simulated minutes and its line in the run history, made once for the module: it
    takes a few seconds, 20 s on a loaded machine, and the tests only read it."""
    home = tmp_path_factory.mktemp("recorded")
    conf = home / "conf"
    shutil.copytree(ROOT / "conf", conf)
    paths = Paths(sessions=str(home / "sessions"), results=str(home / "results"), cache=str(home / "cache"),
                  conf=str(conf))  # fmt: skip
    eng = Engine(AppConfig(paths=paths), "keys")
    try:
        prepared = prepare_experiment(conf / "experiments" / "sim-timeline.toml", eng.conf_dir)
        result = ExperimentRun(eng.ctx, prepared).execute(threading.Event())
        assert result.results_dir is not None, result.message
        (record,) = eng.store.session.runs
    finally:
        eng.close()
    return result.results_dir, record


@pytest.fixture
def recorded(engine: Engine, recorded_once: tuple[Path, RunRecord]) -> Path:
    """The module's finished run, copied into this test's engine: its results directory and its run history line."""
    source, record = recorded_once
    copy = engine.results_dir / source.name
    shutil.copytree(source, copy)
    engine.store.update(lambda s: s.runs.append(record.model_copy(update={"results_dir": str(copy)})))
    return copy


async def open_replay_app(pilot, app: ScaletuiApp) -> ReplayScreen:  # type: ignore[no-untyped-def]
    await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen), "the replay screen", 30)
    await pilot.pause()
    assert isinstance(app.screen, ReplayScreen)
    return app.screen


async def test_live_keys_do_not_leave_a_replay_and_esc_still_quits(engine: Engine, recorded: Path) -> None:
    """4, 5, R, : (and L, ctrl+g, ctrl+p) used to replace the replay with the live session, where Esc quit no more."""
    app = ScaletuiApp(engine, replay=recorded)
    async with app.run_test(size=(80, 24)) as pilot:
        replay = await open_replay_app(pilot, app)
        for key in ("4", "5", "R", "colon", "L", "ctrl+g", "ctrl+p"):
            said = len(app._notifications)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is replay, f"{key} left the replay for {app.screen}"
            assert [n.message for n in list(app._notifications)[said:]] == [NOT_HERE], key
        await pilot.press("3")
        assert replay.query_one(TabbedContent).active == "replay-chaos"
        await pilot.press("question_mark", "4")  # under a dialog the app keys do nothing either
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen_stack[-2] is replay
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit with the replay", 10)


async def test_a_replay_from_the_run_history_stays_until_esc(engine: Engine, recorded: Path) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the run history")
        runs = app.screen
        await pilot.press("v")
        replay = await open_replay_app(pilot, app)
        await pilot.press("4", "5", "R", "colon")
        await pilot.pause()
        assert app.screen is replay
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is runs


async def test_help_in_a_replay_lists_the_replay_keys(engine: Engine, recorded: Path) -> None:
    app = ScaletuiApp(engine, replay=recorded)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_replay_app(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(screen_text(app))
        assert "replay: pause or play" in shown and "pane: reservations" not in shown
        cells = {str(c) for s in help_sections({}, replay=True) for col in s.table.columns for c in col._cells}
        assert {a.palette for a in ACTIONS if a.scope == "replay"} <= cells
        assert "g" in cells and "replay: go to a time of the run (90, 1m30s)" in cells
        assert not {a.palette for a in ACTIONS if a.id.startswith("app.pane.") or a.id == "chaos.fire"} & cells
        assert not any(c.startswith(":") for c in cells), "no `:` command in a replay"


def test_the_replay_answers_every_app_key_it_refuses_under_the_users_keys() -> None:
    """The keys the replay answers are the app's live-only keys, less its own 1-3, as the keymap has them."""
    refused = {a.key for a in ACTIONS if a.scope == "app" and a.key and not works_in_replay(a)}
    own = {a.key for a in ACTIONS if a.scope == "replay"}
    assert set(replay_refused_keys({}).split(",")) == refused - own
    remapped = set(replay_refused_keys({"app.runs": "H", "app.pane.plots": "3"}).split(","))
    assert "H" in remapped and "R" not in remapped and "3" not in remapped, "3 stays the replay's Chaos tab"


async def test_a_remapped_live_key_is_answered_and_the_filter_takes_spaces(
    fast_config: AppConfig, recorded: Path
) -> None:
    """The replay answered the default keys only (R, not a user's H for the run history); and the arrows, which move
    in time even from a table, never moved the `/` filter's cursor."""
    # another session: `recorded`'s engine holds "keys", and one scaletui has a session open at a time
    eng = Engine(fast_config.model_copy(update={"keymap": {"app.runs": "H"}}), "keys-remapped")
    try:
        app = ScaletuiApp(eng, replay=recorded)
        async with app.run_test(size=(80, 24)) as pilot:
            replay = await open_replay_app(pilot, app)
            await pilot.press("H")
            await pilot.pause()
            assert app.screen is replay and [n.message for n in app._notifications] == [NOT_HERE]
            await pilot.press("space")
            assert replay.player.paused
            await pilot.press("2", "tab", "slash", "a", "space", "b", "left")
            await pilot.pause()
            box = replay.query_one("#instances Input", Input)
            assert box.has_focus and box.value == "a b" and box.cursor_position == 2
            assert replay.player.paused, "space in the filter did not play the replay"
            at = replay.player.elapsed
            await pilot.press("enter", "right")
            await wait_for(pilot, lambda: replay.player.elapsed > at, "the arrow to move in time again")
    finally:
        eng.close()


async def test_the_replay_fits_80x24(engine: Engine, recorded: Path) -> None:
    """The screen was one line too tall: the status line scrolled off the top, and the footer lost g."""
    app = ScaletuiApp(engine, replay=recorded)
    async with app.run_test(size=(80, 24)) as pilot:
        replay = await open_replay_app(pilot, app)
        await pilot.press("space")
        lines = screen_text(app)
        assert lines[0].startswith(" replay ") and "/ 20m00s │ paused │" in lines[0], lines[0]
        assert "g Go to" in lines[-1] and "? Help" in lines[-1], lines[-1]
        assert replay.max_scroll_y == 0


async def test_replay_panes_invite_no_live_action(engine: Engine, recorded: Path) -> None:
    """The Pods and Chaos empty texts asked to press s and f (and f did nothing); the footer showed no live key
    either, and a pane's live key does nothing."""
    app = ScaletuiApp(engine, replay=recorded)
    async with app.run_test(size=(80, 24)) as pilot:
        replay = await open_replay_app(pilot, app)
        await pilot.press("space")
        for tab in ("2", "3", "1"):
            await pilot.press(tab, "tab")
            await pilot.pause()
            shown = "\n".join(screen_text(app))
            assert not [text for text in LIVE_INVITES if text in shown], shown
            footer = screen_text(app)[-1]
            for live in ("Start", "Stop", "Submit", "Fire", "Revert", "Load", "Parallelism", "Autoscaler", "Dry-run"):
                assert live not in footer, footer
        assert "No fault recorded" in replay.query_one("#pane-chaos FilterTable", FilterTable).empty_text
        assert replay.query_one("#instances", FilterTable).empty_text == "No pods recorded at this time of the run."
        pods, chaos = replay.query_one("#pane-pods"), replay.query_one("#pane-chaos")
        assert pods.check_action("start_cluster", ()) is False and pods.check_action("submit_job", ()) is False
        assert chaos.check_action("fire", ()) is False
        await pilot.press("2", "tab", "s", "j", "3", "tab", "f")
        await pilot.pause()
        assert app.screen is replay and not engine.live.is_open
        await pilot.press("2")
        replay.player.bus.publish(ClusterChanged(source="test"))  # a moment with no instance recorded
        await pilot.pause()
        assert "No pods recorded at this time of the run." in "\n".join(screen_text(app))


async def test_the_replay_marks_the_changes_by_hand_apart_from_the_decisions(engine: Engine, recorded: Path) -> None:
    """sim-timeline's rescale at 8m and TaskManagers at 10m are steps of its file, not ds2's: the replayed plots draw
    them with the step marker, beside ds2's decisions."""
    from scaletui.results.decision_rows import STEP_LEGEND
    from scaletui.tui.widgets.chart import STEP_MARK, Chart

    app = ScaletuiApp(engine, replay=recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        replay = await open_replay_app(pilot, app)
        await pilot.press("space")
        await pilot.press("g")
        await fill(pilot, app, {"at": "11m"})
        await wait_for(pilot, lambda: abs(replay.player.elapsed - 660) < 1, "the position at 11 minutes")
        await pilot.press("4")
        chart = replay.query_one("#plot-parallelism", Chart)

        def by_hand() -> list[str]:
            return [m.label for m in chart.data.markers if m.stepped] if chart.data is not None else []

        await wait_for(pilot, lambda: by_hand() == ["=3", "TM3"], "the changes by hand drawn", 30)
        assert chart.data is not None and any(not m.stepped for m in chart.data.markers), "ds2's decisions went"
        await pilot.pause()
        assert any(f"{STEP_MARK}{STEP_LEGEND}" in row for row in screen_text(app))
