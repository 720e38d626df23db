"""Pilot tests: navigation, the `:` command line, help, filter, themes remembered, and the 80x24 layout."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Tabs

from scaletui.session.model import Reservation
from scaletui.tui.actions import ACTIONS, PANES
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.help import HelpScreen, help_sections
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message


async def test_number_keys_switch_panes_and_session_remembers(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        for index, name in enumerate(PANES, start=1):
            await pilot.press(str(index))
            await pilot.pause()
            assert app.query_one(Tabs).active == f"tab-{name}"
            assert app.active_pane == name
            assert app.shown_panes == {name}
        assert engine.store.session.ui.pane == "chaos"


async def test_command_line_verbs_and_unknown_verb(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"pods", "enter")
        await pilot.pause()
        assert app.active_pane == "pods"
        await pilot.press("colon", *"faults", "enter")
        await pilot.pause()
        assert app.active_pane == "chaos"
        await pilot.press("colon", *"bogus", "enter")
        await pilot.pause()
        assert "Unknown command :bogus" in message(app)


async def test_help_lists_every_action_and_closes(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        tables = [s.table for s in help_sections({})]
        cells = {str(c) for table in tables for col in table.columns for c in col._cells}
        assert {a.palette or a.description for a in ACTIONS} <= cells
        assert "table: sort by the cursor's column (again: reverse, off)" in cells
        keys = {str(d): str(k) for t in tables for k, d in zip(t.columns[0]._cells, t.columns[1]._cells, strict=True)}
        assert keys["cluster: remove a TaskManager"] == "-", "- is that one key's, not every keyless action's"
        assert keys["scaling: pause the autoscaler"] == ":pause" and keys["cluster: set the TaskManager count"] == (
            ":taskmanagers"
        )
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_theme_switch_is_remembered(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "dark"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme != "dark"
        chosen = app.theme
    assert engine.store.session.ui.theme == chosen
    again = ScaletuiApp(engine)
    async with again.run_test(size=(80, 24)):
        assert again.theme == chosen


async def test_no_color_picks_ansi16_and_strips_every_colour(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.filter import NoColor

    monkeypatch.setenv("NO_COLOR", "1")
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)):
        assert app.theme == "ansi16"
        assert any(isinstance(f, NoColor) for f in app._filters), "Monochrome would turn ansi_default into black"
        assert app.palette.style("fail", "bold") == "bold"


async def test_filter_rows_and_invert_with_the_typed_text_visible(engine) -> None:
    engine.store.update(
        lambda s: s.reservations.extend(
            [Reservation(platform="g5k-nancy", type="Grid5000"), Reservation(platform="mine", type="Static")]
        )
    )
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        table = app.query_one("#pane-reservations FilterTable", FilterTable)
        assert table.query_one(DataTable).row_count == 2
        await pilot.press("slash", *"nancy")
        await pilot.pause()
        box = table.query_one(Input)
        assert box.value == "nancy"
        assert box.content_region.height >= 1, "the filter's text must be drawn (a tall border used to hide it)"
        assert "nancy" in box.render_line(0).text
        assert table.query_one(DataTable).row_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert table.query_one(DataTable).row_count == 2
        await pilot.press("slash", *"!nancy")
        await pilot.pause()
        assert table.query_one(DataTable).row_count == 1
        assert table.rows[1][0] == "mine"


async def test_digits_typed_in_the_filter_stay_in_the_filter(engine) -> None:
    """Pane keys were priority bindings, so typing "3" in a filter switched to Pods instead."""
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "slash", *"g5k-3R")
        await pilot.pause()
        assert app.active_pane == "reservations"
        assert app.query_one("#pane-reservations Input", Input).value == "g5k-3R"
        assert app.screen is app.main_screen()


async def test_layout_80x24_shows_all_tabs_status_and_footer(engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        for name in PANES:
            tab = screen.query_one(f"#tab-{name}")
            assert tab.region.right <= 80 and tab.region.height == 1
        footer = screen.query_one("Footer")
        assert footer.region.y == 23
        status = screen.query_one("#status")
        assert status.region.y == 0


async def test_timers_firing_while_the_app_exits_do_not_fail(engine) -> None:
    """Timer callbacks run in their own task and can fire after exit began and the widgets are gone (a CI run failed
    with NoMatches on the status bar this way). Each one called once the app has exited must return quietly."""
    from scaletui.tui.screens.runs import RunsScreen

    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        runs = RunsScreen(engine)
        await app.push_screen(runs)
        await pilot.pause()
        panes = {name: app.pane(name) for name in PANES}
    app._tick_status()
    runs.refresh_runs()
    panes["reservations"]._tick()  # type: ignore[attr-defined]
    panes["pods"]._tick()  # type: ignore[attr-defined]
    panes["chaos"]._tick()  # type: ignore[attr-defined]
    panes["plots"]._tick()  # type: ignore[attr-defined]


async def test_a_long_field_label_wraps_in_a_dialog_at_80x24(engine) -> None:
    """The recovery dialog's label named the processes left running on one line, and 80 columns cut it mid-name."""
    from scaletui.tui.screens.form import FormField, FormScreen
    from tests.tui.pilot import screen_text

    names = ", ".join(f"taskmanager-{n}" for n in range(1, 6))
    label = f"A crashed scaletui left Flink processes (jobmanager, {names})."
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(FormScreen("Cluster left running", [FormField("choice", label, "adopt", ("adopt", "stop"))]))
        await pilot.pause()
        shown = " ".join(line.strip(" │") for line in screen_text(app))
        assert "taskmanager-5)." in shown, shown


async def test_work_under_way_stays_in_the_status_bar_with_its_time(engine) -> None:
    """A notice that work causes ("Scaling loop paused: ...") took the message line from the work's own sentence,
    and nothing said a TaskManager was still starting; the status bar now says what runs and for how long."""
    import re
    import threading

    from tests.tui.pilot import screen_text, wait_for

    release = threading.Event()
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session")
        app.pane("pods").run_intent("adding a TaskManager", lambda: release.wait(60), group="cluster")
        app.say("Scaling loop paused: TaskManagers changed by hand.")

        def bar() -> str:
            return " ".join(screen_text(app)[:2])

        await wait_for(pilot, lambda: re.search(r"adding a TaskManager \d+s", bar()), "the work and its time", 20)
        release.set()
        await wait_for(pilot, lambda: "adding a TaskManager" not in bar(), "the work gone when done", 20)


async def test_the_status_bar_breaks_between_its_parts_at_80_columns(engine) -> None:
    """Rich broke the line inside the strategy part ("ds2 /" then "(dry-run) (paused)" on the next row)."""
    from tests.tui.pilot import screen_text, wait_for

    def change(s) -> None:  # type: ignore[no-untyped-def]
        s.reservations.append(Reservation(platform="simulator", type="simulator", state="running"))
        s.cluster.backend = "simulator"
        s.job.job_id, s.job.state = "a1b2", "RUNNING"
        s.strategy.name, s.strategy.dry_run, s.strategy.paused = "flink-operator", True, True
        s.faults = []

    engine.store.update(change)
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session")
        app.refresh_session()
        await pilot.pause()
        lines = screen_text(app)[:2]
        assert "simulator running" in lines[0] and any("flink-operator (dry-run) (paused)" in ln for ln in lines), lines


async def test_delete_and_reload_of_an_application_ask_first(engine) -> None:
    """Reload is delete then deploy: the palette's fuzzy "load" ran it from another pane, with no question."""
    from scaletui.tui.screens.confirm import ConfirmScreen

    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        stages = app.pane("stages").query_one(FilterTable)
        stages.table.move_cursor(row=[k for k, _ in stages.rows].index("app:flink"))
        for key, question in (("d", "Delete app:flink?"), ("l", "Reload app:flink?")):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and question in app.screen.question, key
            await pilot.press("n")
            await pilot.pause()
            assert message(app) == "app:flink left as it is." and "app:flink" not in engine.store.session.stages


def test_quitting_says_the_active_faults_it_reverts(engine) -> None:
    """With three faults active the question said only that the cluster would stop."""
    from scaletui.session.model import FaultRecord
    from scaletui.tui.availability import live_work

    assert live_work(engine) == ""
    engine.store.update(
        lambda s: s.faults.extend(
            FaultRecord(id=f"f{n}", kind="delay", started_at=0.0, expires_at=60.0) for n in range(3)
        )
    )
    assert live_work(engine) == "3 active faults are reverted."


async def test_s_stops_a_cluster_a_crash_left_without_adopting_or_replacing_it(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a crash left Flink running, `S` said "No cluster is running." while the banner named the processes,
    and while the session was still opening the Pods pane said "Cluster stopped. Press s". The leftovers here are
    real processes carrying the session's Flink configuration directory, as the engine recognises Flink's."""
    import os
    import subprocess
    import threading

    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.flink.processes import pid_alive
    from scaletui.session.model import ProcessRecord
    from scaletui.tui.boot import Boot
    from scaletui.tui.screens.confirm import ConfirmScreen
    from tests.tui.pilot import screen_text, wait_for

    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    crashed = Engine(load_app_config(None), "crashed")
    conf = crashed.session_dir / "flink" / "conf"
    env = {**os.environ, "FLINK_CONF_DIR": str(conf)}
    left = [
        subprocess.Popen(["sleep", "600"], env=env, start_new_session=True, stdin=subprocess.DEVNULL) for _ in range(2)
    ]
    records = [
        ProcessRecord(role=role, name=name, pid=p.pid)
        for (role, name), p in zip([("jobmanager", "jobmanager"), ("taskmanager", "taskmanager-1")], left, strict=True)
    ]

    def crash(s) -> None:  # type: ignore[no-untyped-def]
        s.cluster.backend, s.cluster.processes = "local", records

    crashed.store.update(crash, durable=True)
    crashed.close()
    opening = threading.Event()
    open_engine = ScaletuiApp._open_engine
    monkeypatch.setattr(ScaletuiApp, "_open_engine", lambda app: opening.wait(60) and open_engine(app))
    app = ScaletuiApp(boot=Boot.read(None, "crashed"))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3")
            await pilot.pause()
            shown = " ".join(screen_text(app))
            assert "Cluster stopped" not in shown and "left running (jobmanager, taskmanager-1)" in shown, shown
            opening.set()
            await wait_for(pilot, lambda: app.engine_ready, "the session to open", 60)
            await pilot.press("S")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
            assert "left (jobmanager, taskmanager-1)?" in app.screen.question  # type: ignore[attr-defined]
            await pilot.press("y")
            await wait_for(pilot, lambda: not any(pid_alive(p.pid) for p in left), "the leftovers to stop", 60)
            said = "Stopped the Flink cluster a crashed scaletui left running: jobmanager, taskmanager-1."
            await wait_for(pilot, lambda: said in message(app), "the stop said", 30)
            session = app.engine.store.session
            assert session.cluster.backend == "none" and not session.cluster.processes
            assert not app.engine.live.is_open and not session.runs, "nothing adopted, nothing started"
            await wait_for(pilot, lambda: "Cluster stopped. Press s" in " ".join(screen_text(app)), "the empty pane")
    finally:
        for proc in left:
            proc.kill()
            proc.wait()
        if app.engine_ready:
            app.engine.close()
