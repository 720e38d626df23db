"""Footer keys of the Pods and Plots panes drive a live simulated cluster: each key changes what is shown."""

from __future__ import annotations

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.form import FormScreen
from tests.tui.pilot import message, wait_for


async def test_pods_and_plots_keys_on_the_simulator(fast_sim_engine: Engine) -> None:
    sim_engine = fast_sim_engine
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the cluster to start")
        await wait_for(pilot, lambda: app.pane("pods").instances, "instances in the Pods pane")
        assert any(i.role == "taskmanager" for i in app.pane("pods").instances)
        await pilot.press("j")
        await wait_for(pilot, lambda: "No job control on the simulator" in message(app), "the simulator's answer to j")
        await pilot.press("plus")
        await wait_for(pilot, lambda: "TaskManagers: 1 -> 2" in message(app), "a TaskManager to be added")
        await pilot.press("c")
        capacity = app.pane("pods").query_one("#capacity")
        await wait_for(pilot, lambda: capacity.display, "the capacity table")
        await pilot.press("J")
        await wait_for(pilot, lambda: "runs as long as its cluster" in message(app), "the cancel message")
        await pilot.press("4")
        await wait_for(pilot, lambda: sim_engine.series.last_sample, "metrics in the engine's series")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy dialog")
        select = app.screen.query_one("#field-name")
        select.value = "ds2"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: sim_engine.store.session.strategy.name == "ds2", "strategy ds2")
        await pilot.press("d")
        await wait_for(pilot, lambda: sim_engine.store.session.strategy.dry_run, "dry-run on")
        await pilot.press("space")
        await wait_for(pilot, lambda: sim_engine.store.session.strategy.paused, "the loop paused")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy dialog")
        dialog = app.screen
        dialog.query_one("#field-name").value = "ds2"  # type: ignore[attr-defined]
        dialog.query_one("#field-params").value = "target_utilisaton = 0.8"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and "not a parameter of this strategy" in str(
            dialog.query_one("#form-error").render()
        )
        dialog.query_one("#field-params").value = "target_utilisation = 0.8"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Strategy ds2, paused" in message(app), "a word that it stays paused")
        status = sim_engine.live.strategy_status()
        assert status is not None and status.paused and "target_utilisation=0.8" in status.settings, status
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the strategy dialog again")
        assert app.screen.query_one("#field-params").value == "target_utilisation = 0.8"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the load dialog")
        app.screen.query_one("#field-params").value = "rate = 450"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Load: constant (now 450" in message(app), "the new load")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the rescale dialog")
        dialog = app.screen
        dialog.query_one("#field-parallelism").value = "0"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog, "a bad parallelism closed the dialog: the digits typed next switched panes"
        assert "at least 1, got 0" in str(dialog.query_one("#form-error").render())
        dialog.query_one("#field-parallelism").value = ""  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "already runs at" in message(app), "an emptied field to keep the parallelism")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the rescale dialog")
        dialog = app.screen
        # 2, which one TaskManager's slots hold: ds2 ran (not yet in dry-run) for as long as the keys above took,
        # and on a loaded machine it had time to take back the TaskManager `+` added.
        dialog.query_one("#field-parallelism").value = "2"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: sim_engine.series.last("op.expensive.parallelism") == 2,
            "expensive at parallelism 2 in the metrics",
        )
        await wait_for(pilot, lambda: app.pane("plots").plots, "the plots to be drawn")
        await pilot.press("3", "S")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question before stopping")
        await pilot.press("n")
        await pilot.pause()
        assert sim_engine.live.is_open and "Cluster kept" in message(app)
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question before stopping")
        await pilot.press("y")
        await wait_for(pilot, lambda: not sim_engine.live.is_open, "the cluster to stop")
        await wait_for(pilot, lambda: not app.pane("pods").instances, "the Pods pane to empty")


async def test_plots_survive_values_that_are_not_finite(engine: Engine) -> None:
    """A NaN gauge once crashed the plots' legend and with it the whole app; such values break the line instead."""
    from scaletui.events import MetricsEvent
    from scaletui.metrics.model import JobSample, OperatorSample

    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("4")
        plots = app.pane("plots")
        for step in range(3):
            op = OperatorSample(name="expensive", parallelism=1, max_parallelism=8, busy_ms_per_s=float("nan"))
            sample = JobSample(
                ts=1000.0 + step,
                operators={"expensive": op},
                target_rate=200.0,
                achieved_rate=float("inf") if step == 1 else 190.0,
                latency_ms={"p50": float("nan"), "p99": 40.0},
            )
            engine.bus.publish(MetricsEvent(ts=sample.ts, source="metrics", sample=sample))
        drawn = lambda: len(engine.series.series("rate.target")[0]) == 3 and plots.plots  # noqa: E731
        await wait_for(pilot, drawn, "the plots to be drawn")
        for plot in plots.plots.values():
            plot.build(plot.size.width, plot.size.height)
        await pilot.pause()
        assert app.is_running and app._exception is None


async def test_the_autoscalers_change_under_way_shows_in_the_status_bar(sim_engine: Engine) -> None:
    """Only work started by a key showed there; a rescale of the autoscaler's that starts TaskManagers (15 s here,
    a minute on a testbed) was visible only on the Plots line."""
    import re

    from scaletui.config.models import LoadSpec
    from tests.tui.pilot import screen_text

    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the cluster to start")
        sim_engine.live.set_load(LoadSpec.model_validate({"profile": "constant", "rate": 1400}))
        sim_engine.live.set_strategy("threshold", loop={"interval": 2.0, "window": 2.0, "cooldown": 2.0})
        await pilot.press("1")
        await wait_for(
            pilot,
            lambda: re.search(r"threshold rescaling [^│]*\d+s", " ".join(screen_text(app)[:2])),
            "the autoscaler's rescale in the status bar",
            120,
        )
