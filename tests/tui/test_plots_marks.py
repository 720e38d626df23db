"""The Plots pane marks a change made by hand apart from the autoscaler's decisions (its own line, colour and legend
entry), and says when its figures are the last of a stopped cluster rather than current (review 34 F24). The demo
session of the snapshot matrix, its last run restored into the plots."""

from __future__ import annotations

import time

from textual.widgets import Static

from scaletui.engine import Engine
from scaletui.events import StepTaken
from scaletui.results.decision_rows import STEP_LEGEND
from scaletui.tui.widgets.chart import STEP_MARK, Chart
from scaletui.tui.widgets.chart_data import ChartData, Line, Marker, step_marks
from tests.tui.pilot import screen_text, wait_for
from tests.tui.test_snapshots import app_in, demo, settled  # noqa: F401 (demo is a fixture)


def chart_text(chart: Chart, width: int = 60, height: int = 8) -> list[str]:
    return [strip.text for strip in chart.build(width, height)]


def test_a_change_by_hand_is_drawn_apart_from_a_decision_with_its_legend_entry() -> None:
    chart = Chart()
    line = Line("target", [float(t) for t in range(100)], [500.0] * 100)
    decided, by_hand = Marker(30.0, "↑3"), Marker(70.0, "=4", stepped=True)
    chart.data = ChartData("r/s", (line,), 0.0, 99.0, 0.0, markers=(decided, by_hand))
    rows = chart_text(chart)
    assert f"{STEP_MARK}{STEP_LEGEND}" in rows[0], rows[0]
    assert "by hand" not in rows[0], "a step of the experiment file is marked too: the legend names both"
    plot = rows[1:-1]
    assert "↑3" in plot[0] and "=4" in plot[0]
    hand_col, decision_col = plot[0].index("=4"), plot[0].index("↑3")
    assert {row[hand_col] for row in plot[1:]} == {STEP_MARK}, "the change by hand is not a dashed line"
    assert {row[decision_col] for row in plot[1:]} == {"│"}, "the decision is not a solid line"
    chart.data = ChartData("r/s", (line,), 0.0, 99.0, 0.0, markers=(decided,))
    assert STEP_LEGEND not in chart_text(chart)[0], "a legend entry for steps that are not there"


def test_only_the_rescales_and_taskmanager_changes_that_went_through_are_marked() -> None:
    steps = [
        StepTaken(ts=10.0, step={"do": "rescale", "operator": "expensive", "parallelism": 4}, by="hand"),
        StepTaken(ts=20.0, step={"do": "taskmanagers", "count": 3}, by="file"),
        StepTaken(ts=30.0, step={"do": "rescale", "operator": "nosuch", "parallelism": 2}, by="hand", ok=False),
        StepTaken(ts=40.0, step={"do": "load", "load": {"profile": "constant", "rate": 900}}, by="hand"),
    ]
    assert step_marks(steps) == [(10.0, "=4"), (20.0, "TM3")]


async def test_the_plots_pane_marks_a_change_by_hand_beside_the_decisions(demo: Engine) -> None:  # noqa: F811
    app = app_in(demo)
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        await pilot.press("4")
        span = demo.series.span()
        assert span is not None, "the demo's run was not restored into the plots"
        at = span[1] - 30.0
        step = {"do": "rescale", "operator": "expensive", "parallelism": 5}
        demo.bus.publish(StepTaken(ts=at, source="run", step=step, by="hand", message="expensive: 3 -> 5."))
        chart = app.query_one("#plot-parallelism", Chart)
        await wait_for(
            pilot, lambda: chart.data is not None and any(m.stepped for m in chart.data.markers), "mark", timeout=30
        )
        assert chart.data is not None
        (hand,) = [m for m in chart.data.markers if m.stepped]
        assert (hand.at, hand.label) == (at, "=5")
        assert any(not m.stepped for m in chart.data.markers), "the decisions' markers went"
        await pilot.pause()
        assert any(f"{STEP_MARK}{STEP_LEGEND}" in row for row in screen_text(app)), "no legend entry on screen"


async def test_the_headline_says_it_shows_the_last_values_once_the_cluster_stopped(demo: Engine) -> None:  # noqa: F811
    app = app_in(demo)
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        await pilot.press("4")
        headline = app.query_one("#pane-plots #headline", Static)
        assert "last values" not in str(headline.content) and not headline.has_class("-stopped")
        (ended,) = [r.ended_at for r in demo.store.session.runs]
        demo.store.update(lambda s: setattr(s.cluster, "backend", "none"))
        await wait_for(pilot, lambda: headline.has_class("-stopped"), "the stopped mark", timeout=30)
        assert str(headline.content).startswith("rate target ")
        assert "(last values, cluster stopped at " in str(headline.content)
        assert str(headline.content).endswith(f"{time.strftime('%H:%M', time.localtime(ended))})")
        demo.store.update(lambda s: setattr(s.cluster, "backend", "simulator"))
        await wait_for(pilot, lambda: not headline.has_class("-stopped"), "the mark cleared", timeout=30)
        assert "last values" not in str(headline.content)
