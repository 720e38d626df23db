"""Review 34 F11 on the history screen: a decision shows the moment it is made, "in progress" while its rescale runs
(17 s on the simulator, minutes on a testbed), and its row is filled in when the rescale ends, as one row."""

from __future__ import annotations

import dataclasses

from textual.app import App

from scaletui.engine.series import SeriesStore
from scaletui.events import DecisionEvent, EventBus
from scaletui.tui.screens.decisions import DecisionsScreen
from scaletui.tui.theming import semantic_defaults
from tests.tui.pilot import screen_text, wait_for


class SemanticApp(App[None]):
    """A bare app with the semantic colours ScaletuiApp adds, which the screen's message line uses."""

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        return {**semantic_defaults(self.current_theme), **variables}


class SeriesView:
    """The part of a RunView the history reads."""

    def __init__(self, bus: EventBus) -> None:
        self.series = SeriesStore().attach(bus)


async def test_a_decision_in_progress_is_filled_in_when_its_rescale_ends() -> None:
    bus = EventBus()
    view = SeriesView(bus)
    app = SemanticApp()
    async with app.run_test(size=(120, 24)) as pilot:
        app.push_screen(DecisionsScreen(view, lambda: 0.0))  # type: ignore[arg-type]
        before = {"source": 1, "expensive": 1, "sink": 1}
        made = DecisionEvent(ts=185.0, source="scaling", strategy="ds2", parallelism={**before, "expensive": 3},
                             taskmanagers=2, taskmanagers_before=1, before=before, reason="DS2: expensive 1->3",
                             applied=False, in_progress=True)  # fmt: skip
        bus.publish(made)

        def row() -> str:
            return next((line for line in screen_text(app) if "185s" in line), "")

        await wait_for(pilot, lambda: "in progress" in row(), "the decision as soon as it is made", 10)
        assert "expensive 1→3, TMs 1→2" in row() and "…" in row(), row()
        assert "applied: in progress" in "\n".join(screen_text(app))
        bus.publish(dataclasses.replace(made, applied=True, in_progress=False, rescale_s=17.1))
        await wait_for(pilot, lambda: "17.1s" in row(), "its outcome when the rescale ends", 10)
        assert "yes" in row() and "in progress" not in row(), row()
        assert "applied: yes in 17.1s" in "\n".join(screen_text(app)), "the panel under the table too"
        assert len(view.series.decisions_between()) == 1
