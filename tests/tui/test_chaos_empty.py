"""The Chaos pane's empty state on a platform without fault injection says so, instead of offering `f`."""

from __future__ import annotations

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.panes.chaos import EMPTY
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message, screen_text, wait_for


async def test_the_simulator_says_it_has_no_fault_injection(sim_engine: Engine) -> None:
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        table = app.pane("chaos").query_one(FilterTable)
        await pilot.pause()
        assert table.empty_text == EMPTY  # no cluster yet: f answers how to start one
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the cluster to start")
        await pilot.press("5")
        said = "the simulator platform has no fault injection"
        await wait_for(pilot, lambda: said in table.empty_text, "the empty state to name the missing capability")
        await wait_for(pilot, lambda: said in " ".join(screen_text(app)), "the sentence on screen")
        assert "Press f" not in " ".join(screen_text(app))
        await pilot.press("f")
        await wait_for(pilot, lambda: "No fault injection on the simulator" in message(app), "f's answer")
        # review 34 F25: its latency matrix had node-1..node-4 while Pods listed one TaskManager on node-1
        chaos = app.pane("chaos")
        await wait_for(pilot, lambda: len(chaos.latency_names) > 1, "the simulator's matrix")  # type: ignore[attr-defined]
        hosts = {i.node for i in app.pane("pods").instances}  # type: ignore[attr-defined]
        idle = set(chaos.latency_names) - hosts  # type: ignore[attr-defined]
        assert hosts == {"node-1"} and idle, "the simulator measures nodes that run nothing"
        said = f"every instance runs on node-1, nothing between nodes to show. {len(idle)} more nodes measured"
        await wait_for(pilot, lambda: said in " ".join(" ".join(screen_text(app)).split()), "the matrix of node-1")
        assert not any(n in " ".join(screen_text(app)) for n in idle)
