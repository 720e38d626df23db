"""With keys only, on real local Flink: start the cluster, submit the job, read the JobManager's log and description
(l, d), choose the Transscale autoscaler and give a load step, see its decision and the rescale (in the metrics, the
plot's decision marker and the strategy line), then take over by hand (rescale to 3, which pauses the autoscaler, and
add a TaskManager so expensive spans TaskManagers), delay the TaskManagers from the Chaos pane and see the fault
listed, the latency matrix measured, the plotted p99 rise, and the fault end at expiry (said on the message line),
then stop the cluster (after the question). Starts its own cluster in the test's session (the engine's, as a user's
would be). The job's expensive operator costs a wait per record with little CPU (`wait_ms`, set in the conf's
local-constant.toml as a user would), so one slot saturates at ~500 records/s however busy the machine is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.events import DecisionEvent
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.confirm import ConfirmScreen
from scaletui.tui.screens.text import TextScreen
from tests.plugins.flink import flink_cache
from tests.tui.pilot import fill, message, wait_for


def shown(screen: TextScreen) -> str:
    """The text a log or description view holds, once loaded."""
    from textual.widgets import RichLog

    return "\n".join(line.text for line in screen.query_one(RichLog).lines)


@pytest.mark.flink
@pytest.mark.timeout(900)
async def test_local_cluster_driven_by_keys(app_config: AppConfig, tmp_path: Path) -> None:
    app_config.paths.cache = str(flink_cache())  # the Flink download every Flink test shares
    conf = shutil.copytree(app_config.paths.conf, tmp_path / "conf")
    template = conf / "experiments" / "local-constant.toml"
    text = template.read_text()
    assert text.count("cost_ms = 2.0\n") == 1 and text.count("wait_ms = 0.0\n") == 1
    template.write_text(
        text.replace("cost_ms = 2.0\n", "cost_ms = 0.1\n").replace("wait_ms = 0.0\n", "wait_ms = 1.9\n")
    )
    app_config.paths.conf = str(conf)
    engine = Engine(app_config, "live-local")
    app = ScaletuiApp(engine)
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            pods, plots, series = app.pane("pods"), app.pane("plots"), engine.series

            def points(name: str, since: float = 0.0) -> list[tuple[float, float]]:
                return [(t, v) for t, v in zip(*series.series(name, since)) if v == v]  # NaN is missing

            await pilot.press("3", "s")
            await wait_for(
                pilot, lambda: sum(i.role == "taskmanager" for i in pods.instances) >= 1, "a TaskManager", 300
            )
            await pilot.press("j")
            await wait_for(pilot, lambda: engine.store.session.job.state == "RUNNING", "the job to run")
            await pilot.press("l")  # the cursor is on the first instance, the JobManager
            await wait_for(pilot, lambda: isinstance(app.screen, TextScreen) and shown(app.screen), "its log", 30)
            log = shown(app.screen)
            assert ".log\n" in log and "flink-jobmanager" in log and "INFO" in log, log[:300]
            await pilot.press("escape", "d")
            await wait_for(
                pilot, lambda: isinstance(app.screen, TextScreen) and shown(app.screen), "the description", 30
            )
            described = shown(app.screen)
            assert " ago)" in described and "of a core" in described and " MiB" in described, described
            await pilot.press("escape")
            decisions: list[DecisionEvent] = []
            engine.bus.subscribe(lambda e: decisions.append(e) if isinstance(e, DecisionEvent) else None)
            await pilot.press("4", "a")
            await fill(pilot, app, {"name": "transscale"})
            await wait_for(pilot, lambda: engine.store.session.strategy.name == "transscale", "Transscale on")
            await pilot.press("l")
            await fill(pilot, app, {"profile": "step", "params": 'rate = 150, steps = [["5s", 700]]'})
            await wait_for(
                pilot, lambda: any(v == 700 for _, v in points("rate.target")), "the load step in the metrics"
            )
            stepped = next(t for t, v in points("rate.target") if v == 700)
            await wait_for(
                pilot,
                lambda: any(d.applied and d.ts > stepped and d.parallelism.get("expensive", 1) > 1 for d in decisions),
                "a scale-up decision after the step",
            )
            await wait_for(
                pilot, lambda: (series.last("op.expensive.parallelism") or 1) > 1, "the rescale in the metrics"
            )
            await wait_for(
                pilot, lambda: any(d.applied for d in series.decisions_between(stepped)), "the decision marker"
            )
            assert "transscale on" in plots.scaling_line() and "| last: " in plots.scaling_line()
            await pilot.press("l")
            await fill(pilot, app, {"profile": "constant", "params": "rate = 250"})
            await pilot.press("p")
            await fill(pilot, app, {"parallelism": "3"})
            await wait_for(pilot, lambda: "expensive: " in message(app), "the hand rescale")
            tms = sum(i.role == "taskmanager" for i in pods.instances)
            await pilot.press("3", "plus")  # a third slot for expensive, so its subtasks span TaskManagers
            await wait_for(
                pilot,
                lambda: (
                    engine.store.session.strategy.paused
                    and sum(i.role == "taskmanager" and i.state == "running" for i in pods.instances) == tms + 1
                    and series.last("rate.target") == 250
                    and series.last("op.expensive.parallelism") == 3
                    and (series.last("rate.source") or 0) > 200
                ),
                "expensive at 3 on more TaskManagers (autoscaler paused), the achieved rate following 250 records/s",
            )
            settled = len(points("rate.target"))
            # the p99 covers the last window (5 s) plus a second: let the restart of the rescale leave it first
            await wait_for(pilot, lambda: len(points("rate.target")) >= settled + 7, "7 samples before the fault", 60)

            def steady() -> bool:
                """On a loaded machine the job may still drain the rescale's backlog (a p99 of seconds, falling),
                which would hide the delay's rise: the fault goes in once the p99 is low and flat."""
                last = [v for _, v in points("latency.p99")[-4:]]
                return len(last) == 4 and max(last) < 1500 and max(last) - min(last) < 250

            await wait_for(pilot, steady, "a low, steady p99 before the fault", 240)
            before = sorted(v for _, v in points("latency.p99")[-4:])
            baseline = before[len(before) // 2]
            await pilot.press("5", "f")
            # 500 ms for 30 s on every TaskManager (a starting one would be left out of role:taskmanager): beside
            # stress-ng the p99 sat at 1.3-1.5 s, stalls a 200 ms delay for 15 s did not lift by 150 ms (quietly it
            # went from 0.9 to 1.15 s)
            await fill(pilot, app, {"targets": "role:taskmanager", "duration": "30s", "params": "latency_ms = 500"})
            await wait_for(pilot, lambda: len(engine.store.session.faults) == 1, "the fault in the ledger", 60)
            injected = engine.store.session.faults[0].started_at
            chaos = app.pane("chaos")
            await wait_for(pilot, lambda: any(v is not None for v in chaos.latency.values()), "the latency matrix", 60)

            def during() -> list[float]:
                return [v for _, v in points("latency.p99", injected + 1e-6)]

            await wait_for(
                pilot,
                lambda: any(p > baseline + 150 for p in during()),
                f"the plotted p99 to rise above {baseline:.0f} ms + 150 ms under a 500 ms delay, on "
                f"{engine.store.session.faults[0].targets if engine.store.session.faults else 'targets gone'}",
                60,
            )
            print(f"\nLATENCY RISE: p99 {baseline:.0f} ms before the 500 ms delay, up to {max(during()):.0f} ms in it")
            await wait_for(pilot, lambda: not engine.store.session.faults, "the fault to end at expiry", 90)
            await wait_for(pilot, lambda: "expired and was reverted" in message(app), "the expiry notice", 10)
            await pilot.press("3", "S")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question before stopping", 20)
            await pilot.press("y")
            await wait_for(pilot, lambda: not engine.live.is_open, "the cluster to stop", 120)
    finally:
        engine.close()  # a failed test must not leave its cluster loading the machine for the next ones
    assert engine.store.session.cluster.processes == []
