"""The run history: start an experiment from the TUI, see it in the list, open its summary, run it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Markdown

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.run_summary import RunSummaryScreen
from scaletui.tui.screens.runs import RunsScreen
from tests.tui.pilot import wait_for

SHORT = """
[experiment]
name = "tui-sim"
platform = "simulator"
duration = "10m"
[load]
profile = "step"
rate = 200
steps = [["2m", 900]]
[strategy]
name = "ds2"
interval = "15s"
window = "15s"
cooldown = "30s"
"""


@pytest.fixture
def engine(app_config: AppConfig, tmp_path: Path):
    """An engine whose conf/ holds only the simulator and one short experiment, so the chooser's default is it."""
    conf = tmp_path / "conf"
    (conf / "experiments").mkdir(parents=True)
    (conf / "platforms").mkdir()
    (conf / "experiments" / "tui-sim.toml").write_text(SHORT)
    (conf / "platforms" / "simulator.toml").write_text(
        (Path(app_config.paths.conf) / "platforms" / "simulator.toml").read_text()
    )
    eng = Engine(
        app_config.model_copy(update={"paths": app_config.paths.model_copy(update={"conf": str(conf)})}), "test"
    )
    yield eng
    eng.close()


async def test_start_open_and_rerun_from_the_history(engine: Engine, tmp_path: Path) -> None:
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the experiment chooser")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: [r.status for r in engine.store.session.runs] == ["done"], "the run to finish", 120
        )
        assert isinstance(app.screen, RunsScreen)
        await wait_for(pilot, lambda: app.screen.query_one("FilterTable").rows, "the run in the list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunSummaryScreen), "the run summary")
        summary = app.screen.query_one("#summary", Markdown)
        await wait_for(pilot, lambda: "throughput" in summary.source, "the summary table")
        await wait_for(pilot, lambda: len(app.screen.query("Chart")) == 4, "the four charts")
        await pilot.press("escape")
        await pilot.press("e")
        await wait_for(pilot, lambda: len(engine.store.session.runs) == 2, "the second run to start")
        await wait_for(
            pilot, lambda: [r.status for r in engine.store.session.runs] == ["done", "done"], "the rerun", 120
        )
    first, second = engine.store.session.runs
    assert (Path(second.results_dir) / "experiment.toml").read_text() == SHORT
    assert Path(first.results_dir).parent == Path(second.results_dir).parent
