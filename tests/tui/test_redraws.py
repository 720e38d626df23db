"""What a live session costs when nothing changes (issue 16): a hidden pane keeps what it was sent and draws it when
shown, and a table or status line refreshed with what it already shows is not rebuilt. The demo session and the fixed
cluster are the snapshot matrix's."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable, Static

from scaletui.engine import Engine
from scaletui.events import ClusterChanged, LatencyEvent
from scaletui.tui.widgets.filter_table import FilterTable
from scaletui.tui.widgets.status import StatusBar
from tests.tui.test_snapshots import INSTANCES, MATRIX, app_in, demo, settled  # noqa: F401 (demo is a fixture)


def plain(content: object) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def instances_table(app) -> DataTable:  # type: ignore[no-untyped-def,type-arg]
    return app.query_one("#pane-pods #instances", FilterTable).table


async def test_a_hidden_pane_draws_what_it_was_sent_when_shown(demo: Engine) -> None:  # noqa: F811
    app = app_in(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("1")
        await pilot.pause()
        demo.bus.publish(ClusterChanged(source="live", instances=INSTANCES))
        demo.bus.publish(LatencyEvent(source="latency", matrix=MATRIX))
        await pilot.pause()
        assert instances_table(app).row_count == 0, "the hidden Pods pane redrew its table"
        latency = app.query_one("#pane-chaos #latency", Static)
        assert "taskmanager-2" not in plain(latency.content), "the hidden Chaos pane redrew its matrix"
        await pilot.press("3")
        await pilot.pause()
        assert instances_table(app).row_count == len(INSTANCES)
        await pilot.press("5")
        await pilot.pause()
        assert "taskmanager-2" in plain(latency.content)


async def test_the_same_rows_and_line_are_not_rebuilt(demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app = app_in(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("3")
        demo.bus.publish(ClusterChanged(source="live", instances=INSTANCES))
        await pilot.pause()
        table = app.query_one("#pane-pods #instances", FilterTable)
        clears = []
        original = table.table.clear
        monkeypatch.setattr(table.table, "clear", lambda *a, **k: clears.append(1) or original(*a, **k))
        rows = list(table.rows)
        table.set_rows([(key, [Text(c.plain, style=c.style, spans=list(c.spans)) if isinstance(c, Text) else c
                               for c in cells]) for key, cells in rows])  # fmt: skip
        assert clears == [], "rows equal to the shown ones rebuilt the table"
        key, cells = rows[0]
        table.set_rows([(key, [*cells[:-1], "changed"]), *rows[1:]])
        assert clears == [1]
        status = app.query_one(StatusBar)
        updates = []
        monkeypatch.setattr(status, "update", lambda *a, **k: updates.append(1))
        session, palette = demo.store.session, app.palette
        status.instances = ()
        status.show(session, 1_800_000_000.0, palette)
        shown = len(updates)
        status.show(session, 1_800_000_000.0, palette)
        assert len(updates) == shown, "the same status line was laid out again"
        status.instances = INSTANCES
        status.show(session, 1_800_000_000.0, palette)
        assert len(updates) == shown + 1, "a status line that changed (the slots in use) was not shown"
