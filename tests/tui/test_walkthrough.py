"""The README walkthrough's problems, each replayed with keys: the run history that could not be left and blanked its
errors, the fault table pushed off screen, the load dialog that forgot the load and the input, the header's slot
count, and the questions before stopping or quitting, the notices when a fault ends, and why a network fault on one
TaskManager shows nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.widgets import Static

from scaletui.cluster.base import Instance
from scaletui.engine import Engine
from scaletui.session.model import FaultRecord, OperatorRecord, Session
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.runs import RunsScreen
from scaletui.tui.theming import Palette
from scaletui.tui.widgets.status import summary
from tests.tui.pilot import fill, message, screen_text, wait_for


async def test_the_run_history_is_left_by_esc_pane_keys_command_line_and_palette(engine: Engine) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        for leave in (["escape"], ["4"], ["colon", *"plots", "enter"], ["ctrl+p", *"pane: chaos", "enter"]):
            await pilot.press("R")
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            footer = {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
            assert "Back" in footer, "the footer shows the way back"
            await pilot.press(*leave)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.screen is app.main_screen(), f"{leave} left the run history"
        assert app.active_pane == "chaos"


async def test_the_run_history_keeps_its_error_and_quit_asks_while_a_cluster_runs(sim_engine: Engine) -> None:
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
        await pilot.press("R", "n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the experiment chooser", 20)
        await pilot.press("ctrl+s")
        runs = app.screen_stack[-1]
        assert isinstance(runs, RunsScreen)
        await runs.workers.wait_for_complete()
        await pilot.pause()
        said = str(runs.query_one("#runs-message #latest", Static).render())
        assert "A cluster started by hand is running. Stop it (S in the Pods pane) first." in said
        runs.refresh_runs()
        runs.refresh_runs()
        assert str(runs.query_one("#runs-message #latest", Static).render()) == said, "the refresh blanked the error"
        await pilot.press("escape", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "cluster started here will be stopped" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and sim_engine.live.is_open
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.parametrize("width", [80, 100])
async def test_the_fault_table_keeps_backend_and_left_with_two_targets(engine: Engine, width: int) -> None:
    fault = FaultRecord(
        id="f-0002",
        kind="delay",
        targets=["taskmanager-1", "taskmanager-2"],
        params={"latency_ms": 200, "jitter_ms": 20},
        started_at=1.0,
        expires_at=4e9,
    )
    app = ScaletuiApp(engine)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.press("5")
        chaos = app.pane("chaos")
        chaos.show_session(engine.store.session.model_copy(update={"faults": [fault]}))
        chaos.show_latency(["jobmanager", "taskmanager-1", "taskmanager-2"], {("jobmanager", "taskmanager-1"): 0.4})
        await pilot.pause()
        lines = screen_text(app)
        header = next(line for line in lines if "Backend" in line)
        row = next(line for line in lines if "f-0002" in line)
        assert "Left" in header and "local" in row and "s " in row.split("delay")[1], row
        assert "taskmanager-1, taskmanager-2" in row or width < 100
        for name in ("jobmanager", "taskmanager-1", "taskmanager-2"):
            assert any(line.lstrip().split(" ", 1)[-1].startswith(name) for line in lines), f"{name} cut"


async def test_a_stopped_clusters_latency_matrix_goes_with_it(engine: Engine) -> None:
    """The matrix of a cluster stopped with S stayed on the Chaos pane, its instances listed as if they still ran."""
    names = ["jobmanager", "taskmanager-1"]
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("5")
        chaos = app.pane("chaos")
        running = engine.store.session.model_copy(deep=True)
        running.cluster.backend = "local"
        chaos.show_session(running)
        chaos.show_latency(names, {("jobmanager", "taskmanager-1"): 0.4})
        await pilot.pause()
        assert any(line.lstrip().split(" ", 1)[-1].startswith("taskmanager-1") for line in screen_text(app))
        chaos.show_session(running)
        assert chaos.latency_names == names, "a running cluster's matrix is kept"
        stopped = running.model_copy(deep=True)
        stopped.cluster.backend = "none"
        chaos.show_session(stopped)
        await pilot.pause()
        text = "\n".join(screen_text(app))
        assert "Latency matrix: no probes yet (they start with the cluster)." in text and "taskmanager-1" not in text


async def test_the_strategy_form_takes_the_command_lines_pairs_and_names_the_strategys_parameters(
    engine: Engine,
) -> None:
    """Review 34 F8: the form wanted `memory = "10m"` where the `:` line takes `memory=10m`, and its example named a
    parameter (headroom) no strategy has."""
    from scaletui.tui.intents import inline_table

    assert inline_table("memory=10m, target_utilisation=0.9", "x") == {"memory": "10m", "target_utilisation": 0.9}
    assert inline_table("memory=10m target_utilisation=0.9", "x") == {"memory": "10m", "target_utilisation": 0.9}
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "a")
        form = await fill(pilot, app, {"name": "ds2", "params": "memory=10m, steps=[1"})
        await pilot.pause()
        error = str(form.query_one("#form-error", Static).render())
        assert app.screen is form and "such as target_utilisation = 1, min_busy_ms = 20" in error, error
        assert "a bracket or a quote is not closed" in error and "inline table" not in error, error
        form.query_one("#field-params").value = "memory=10m, target_utilisation=0.9"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not form, "the form to take the : line's pairs")


@pytest.mark.parametrize("reserved", [False, True])
async def test_the_stopped_pods_pane_says_what_s_starts(engine: Engine, reserved: bool) -> None:
    """Review 34 F7: it read "Press s to start it: local Flink, the simulator, or ...", and `s` started local Flink
    with no question; `s` starts the newest reservation's platform, else local Flink, and the pane says which."""
    from scaletui.session.model import Node, Reservation

    if reserved:
        sim = Reservation(platform="simulator", type="simulator", state="running", nodes=[Node(name="sim",
                          address="127.0.0.1", role="worker")])  # fmt: skip
        engine.store.update(lambda s: s.reservations.append(sim))
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        shown = " ".join(" ".join(screen_text(app)).split())
        said = "start it on simulator, the newest reservation" if reserved else "start local Flink on 127.0.0.1"
        assert said in shown and "the simulator, or the pods" not in shown, shown


async def test_the_load_dialog_opens_on_the_load_and_keeps_what_was_typed(engine: Engine) -> None:
    engine.store.update(lambda s: setattr(s.job, "load_profile", {"profile": "sine", "mean": 400, "amplitude": 100,
                                                                   "period": "1m"}))  # fmt: skip
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4", "l")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.values() == {"profile": "sine", "params": 'mean = 400, amplitude = 100, period = "1m"'}
        hint = str(form.query_one(".hint", Static).render())
        assert "step: rate = 200, steps = [" in hint and "ramp: start" in hint, "every profile's syntax up front"
        typed = 'mean = 400, amplitude = 100, period = "1m", phase = [1'
        form.query_one("#field-params").value = typed  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form, "an error keeps the dialog open"
        assert form.values()["params"] == typed
        error = str(form.query_one("#form-error", Static).render())
        assert error.endswith(").") and "at character" in error, "the whole error, not cut"
        form.query_one("#field-params").value = "mean = 400, amplitude = 100, perod = 60"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and "period" in str(form.query_one("#form-error", Static).render())


def test_the_header_counts_slots_in_use_not_the_sum_of_parallelism(engine: Engine) -> None:
    def change(s: Session) -> None:
        s.job.job_id, s.job.state = "a1b2", "RUNNING"
        s.job.operators = [
            OperatorRecord(name=n, parallelism=p) for n, p in (("source", 1), ("expensive", 3), ("sink", 1))
        ]

    engine.store.update(change)
    instances = [
        Instance("taskmanager-1", "taskmanager", "running", slots_used=2, slots_total=2),
        Instance("taskmanager-2", "taskmanager", "running", slots_used=1, slots_total=2),
    ]
    text = summary(engine.store.session, 0.0, Palette({}), instances).plain
    assert "job running, 3/4 slots" in text and "5 slots" not in text


async def test_fault_ends_are_said_and_a_network_fault_on_one_taskmanager_is_explained(sim_engine: Engine) -> None:
    """The simulator has no fault injection: f says so in one sentence before any dialog. With this machine's
    process faults attached, a real process paused from the dialog expires and is reverted; the Chaos pane says
    that too."""
    from scaletui.chaos.process_faults import LocalFaults

    sleeper = subprocess.Popen(["sleep", "120"])
    app = ScaletuiApp(sim_engine)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3", "s")
            await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
            await wait_for(pilot, lambda: app.pane("pods").instances, "the instances")
            chaos = app.pane("chaos")
            assert sum(i.role == "taskmanager" for i in app.pane("pods").instances) == 1
            assert "in memory, not over the network" in chaos.one_taskmanager_note("delay")  # type: ignore[attr-defined]
            assert chaos.one_taskmanager_note("kill") == ""  # type: ignore[attr-defined]
            await pilot.press("5", "f")
            await wait_for(pilot, lambda: "No fault injection on the simulator platform" in message(app), "refused")
            assert not isinstance(app.screen, FormScreen), "refused before the dialog is filled in"
            sim_engine.faults.attach("this machine", (LocalFaults(),), lambda: [])
            await pilot.press("f")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the fault dialog", 20)
            form = app.screen
            form.query_one("#field-kind").value = "pause"  # type: ignore[attr-defined]
            await pilot.pause()
            params = form.query_one("#field-params")
            assert params.value == "", "the kind's parameters follow the kind"  # type: ignore[attr-defined]
            assert params.placeholder == "none for pause", "the empty field showed the delay's example"  # type: ignore[attr-defined]
            form.query_one("#field-targets").value = f"pid:{sleeper.pid}"  # type: ignore[attr-defined]
            form.query_one("#field-duration").value = "1"  # type: ignore[attr-defined]  # a number typed is seconds
            said: list[str] = []
            say = app.say
            app.say = lambda text, level="info", command="": (said.append(text), say(text, level, command))[1]  # type: ignore[method-assign]
            await pilot.press("ctrl+s")
            # the dialog's worker may say "Fault ...: pause" after a 1 s fault has already expired: any order counts
            await wait_for(pilot, lambda: any("expired and was reverted" in t for t in said), "the expiry notice", 60)
            assert any(t.startswith("Fault ") and ": pause on pid:" in t for t in said), said
            assert Path(f"/proc/{sleeper.pid}/stat").read_text().split(")")[1].split()[0] != "T", "resumed"
    finally:
        sleeper.kill()
        sleeper.wait()


async def test_the_load_dialog_opens_on_the_load_a_fresh_live_run_applies(sim_engine: Engine) -> None:
    """Walkthrough at 100x30: on a fresh session `s` runs conf/experiments/local-constant.toml's load (200 r/s), and
    `l` opened on the dialog's example (constant, rate = 300) instead of the load the plots showed."""
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
        await wait_for(pilot, lambda: sim_engine.store.session.job.load_profile, "the applied load in the session")
        await pilot.press("4", "l")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the load dialog")
        assert app.screen.values() == {"profile": "constant", "params": "rate = 200"}  # type: ignore[attr-defined]
        await pilot.press("escape")


async def test_the_rescale_dialog_opens_on_the_running_parallelism(sim_engine: Engine) -> None:
    """Walkthrough: `p` always opened on "2", whatever ran; it opens on the operator's parallelism now and follows
    the operator chosen."""
    from textual.widgets import Select

    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
        await wait_for(pilot, lambda: sim_engine.series.last_sample is not None, "a first sample")
        await pilot.press("4", "p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the rescale dialog")
        assert app.screen.values() == {"operator": "expensive", "parallelism": "1"}  # type: ignore[attr-defined]
        await pilot.press("escape")
        sim_engine.live.rescale("expensive", 2)
        await wait_for(
            pilot,
            lambda: (s := sim_engine.series.last_sample) is not None and s.operators["expensive"].parallelism == 2,
            "expensive running at 2",
        )
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the rescale dialog")
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.values() == {"operator": "expensive", "parallelism": "2"}
        form.query_one("#field-operator", Select).value = "parse"
        await pilot.pause()
        assert form.values() == {"operator": "parse", "parallelism": "1"}
        await pilot.press("escape")


async def test_every_decision_is_on_the_history_screen_and_the_parameters_on_the_strategy_line(
    sim_engine: Engine,
) -> None:
    """Walkthrough: the decision line was cut, only the last decision was visible and no strategy parameter was
    shown. `h` in Plots lists every decision, and shows the highlighted one whole."""
    from scaletui.events import DecisionEvent
    from scaletui.tui.screens.decisions import DecisionsScreen

    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the simulated cluster")
        await wait_for(pilot, lambda: sim_engine.series.last_sample is not None, "a first sample")
        await app.workers.wait_for_complete()
        sim_engine.live.set_strategy("transscale")
        await pilot.press("4")
        plots = app.pane("plots")
        await wait_for(pilot, lambda: "headroom=0.1" in plots.scaling_params(), "the strategy's parameters")  # type: ignore[attr-defined]
        assert "every 10s" in plots.scaling_params()  # type: ignore[attr-defined]
        now = sim_engine.series.last_sample.ts  # type: ignore[union-attr]
        long_reason = "expensive 1->3 (needs 3 for 640 r/s at 230 r/s per task, headroom 10 %)" + " and more" * 8
        ops = {"source": 1, "expensive": 1, "sink": 1}
        for i, (to, applied, dry) in enumerate([(1, False, False), (3, True, False), (2, False, True)]):
            sim_engine.bus.publish(DecisionEvent(
                ts=now + i, source="scaling", strategy="transscale", parallelism={**ops, "expensive": to},
                taskmanagers=2 if to == 3 else 1, taskmanagers_before=1, reason=long_reason if to == 3 else "keep",
                applied=applied, dry_run=dry, before=ops if i < 2 else {**ops, "expensive": 3}, rescale_s=4.5,
                inputs={"target_rate": 640.0, "achieved_rate": 410.0, "latency_ms": {"p99": 1234.0}},
            ))  # fmt: skip
        await wait_for(pilot, lambda: len(sim_engine.series.decisions_between(now)) == 3, "the decisions in the series")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, DecisionsScreen), "the decision history")
        text = "\n".join(screen_text(app))
        assert "expensive 1→3, TMs 1→2" in text and "dry-run" in text and "expensive 3→2" in text, text
        assert "headroom=0.1" in text, "the parameters are on the history screen too"
        await pilot.press("up")
        await pilot.pause()
        text = "\n".join(screen_text(app))
        assert "applied: yes in 4.5s" in text and "and more and more" in text and "p99 1,234ms" in text, text
        assert text.count("and more") >= 8 or "more and more and more" in text.replace("\n ", " ")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen()


def test_the_chaos_table_shows_the_parameters_as_typed() -> None:
    """Walkthrough: the Params column read `value=None` for a delay."""
    from scaletui.tui.panes.chaos import fault_row

    fault = FaultRecord(id="f-0001", kind="delay", targets=["taskmanager-1"], started_at=1.0, expires_at=31.0,
                        params={"latency_ms": 50.0, "jitter_ms": 5, "value": None})  # fmt: skip
    _, cells = fault_row(fault, 1.0, Palette.of({}, no_color=True))
    assert cells[-1] == "latency_ms=50 jitter_ms=5"


async def test_a_cluster_a_crashed_scaletui_left_is_not_shown_as_a_running_job(engine: Engine) -> None:
    """User review 37 F4: before `s` adopts the cluster a killed scaletui left, the status line said
    "cluster local │ job running │ ds2" from the session's record, as if it were watched and scaled. It says the
    cluster was left running and that s adopts it, no job state, and the autoscaler as the next start's."""
    from scaletui.session.model import ProcessRecord

    def crashed(s: Session) -> None:
        s.cluster.backend = "local"
        s.cluster.processes = [ProcessRecord(role="jobmanager", name="jobmanager", pid=2**22 + 1)]
        s.job.job_id, s.job.state = "a1b2", "RUNNING"
        s.strategy.name = "ds2"

    engine.store.update(crashed)
    app = ScaletuiApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        bar = app.query_one("#status", Static)
        await wait_for(pilot, lambda: "left running" in str(bar.render()), "the status line")
        text = str(bar.render())
        assert "cluster local left running (s adopts it)" in text and "ds2 at start" in text, text
        assert "job" not in text, text
