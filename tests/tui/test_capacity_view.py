"""The Pods pane's capacity view (`c`) on the simulator: every simulated node listed, free = size − what is counted
as used, +TMs what `+` would still accept on each node, and a legend saying what the columns mean."""

from __future__ import annotations

from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message, screen_text, wait_for

NODES = ["node-1", "node-2", "node-3", "node-4"]


def cells(table: FilterTable) -> dict[str, list[str]]:
    return {key: [str(c) for c in row] for key, row in table.rows}


async def test_capacity_lists_every_simulated_node_with_what_plus_can_still_add(fast_sim_engine: Engine) -> None:
    sim_engine = fast_sim_engine
    app = ScaletuiApp(sim_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "s")
        await wait_for(pilot, lambda: sim_engine.live.is_open, "the cluster to start")
        await pilot.press("plus")
        await wait_for(pilot, lambda: "TaskManagers: 1 -> 2" in message(app), "a TaskManager to be added")
        await pilot.press("c")
        table = app.pane("pods").query_one("#capacity", FilterTable)
        await wait_for(pilot, lambda: sorted(cells(table)) == NODES, "every simulated node in the capacity view")
        rows = cells(table)
        # taskmanager-1 on node-1, taskmanager-2 on node-2; the simulator places the next two on node-3 and node-4
        assert [rows[n][5] for n in NODES] == ["0", "0", "1", "1"]
        # node-3 hosts nothing: nothing is booked there, so all of its 1.5 cores are free
        assert rows["node-3"][1] == "0.0/1.5" and rows["node-3"][2] == "1.5"
        assert rows["node-3"][6] == "TMs booked"
        text = "\n".join(screen_text(app))
        assert "free = size − expected peak use" in text and "scopes" not in text
        await pilot.press("plus")
        await wait_for(pilot, lambda: "TaskManagers: 2 -> 3" in message(app), "a third TaskManager")
        await wait_for(
            pilot, lambda: [cells(table)[n][5] for n in NODES] == ["0", "0", "0", "1"], "+TMs after the third"
        )
