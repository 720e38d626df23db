"""Regression: starting a local Flink cluster could not be cancelled (the cancel event was created inside `start` and
the Pods pane passed none). Now ctrl+g gives the starting worker's real event to the engine: on real Flink, the
start stops while the JobManager comes up and leaves no process behind."""

from __future__ import annotations

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.flink.processes import pid_alive
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.widgets.status import MessageLine
from tests.plugins.flink import flink_cache
from tests.tui.pilot import message, wait_for


@pytest.mark.flink
@pytest.mark.timeout(600)
async def test_ctrl_g_cancels_a_starting_cluster(app_config: AppConfig) -> None:
    app_config.paths.cache = str(flink_cache())
    engine = Engine(app_config, "cancel-start")
    app = ScaletuiApp(engine)
    seen: set[int] = set()

    def processes() -> list[int]:
        pids = [p.pid for p in engine.store.session.cluster.processes]
        seen.update(pids)
        return pids

    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3", "s")
            await wait_for(pilot, processes, "the first Flink process of the start", 300)
            assert not engine.live.is_open, "the cluster must still be starting when it is cancelled"
            await pilot.press("ctrl+g")
            # "Cancelling starting the cluster", or already "Cancelled while ..." when the start ends at once
            await wait_for(pilot, lambda: "ancel" in message(app), "the cancel said")
            thread = engine.live._thread
            await wait_for(pilot, lambda: thread is None or not thread.is_alive(), "the start to end", 120)
            await wait_for(pilot, lambda: not processes(), "the session's processes to be gone", 60)
            await wait_for(pilot, lambda: not any(pid_alive(pid) for pid in seen), "every Flink process to exit", 60)
            assert not engine.live.is_open
            await wait_for(pilot, lambda: "ancel" in message(app), "the start's end said", 30)
            # review 34 F12: the cancel the user asked for was said twice, both times as an error
            lines = app.main_screen().query_one(MessageLine).history
            await wait_for(pilot, lambda: any("Cancelled while" in m for _, _, m in lines), "the cancel's end", 30)
            ended = [(level, m) for _, level, m in lines if "Cancelled while" in m]
            assert len(ended) == 1 and ended[0][0] == "warning", ended
            assert not [m for _, level, m in lines if level == "error"], list(lines)
    finally:
        engine.close()
    assert seen and not any(pid_alive(pid) for pid in seen)
