"""The run history: start an experiment from the TUI, see it in the list, open its summary, run it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Markdown, Static

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.session.model import RunRecord
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.run_summary import RunSummaryScreen
from scaletui.tui.screens.runs import RunsScreen
from scaletui.tui.widgets.filter_table import FilterTable
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


def record(tmp_path: Path, run_id: str, experiment: str, status: str, passed: bool | None, recorded: str) -> RunRecord:
    """A finished run as the session lists it, with the run.json its results directory holds."""
    run_dir = tmp_path / "results" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "status": recorded}))
    summary: dict[str, object] = {} if passed is None else {"passed": passed}
    if status == "interrupted":
        summary["not_judged"] = "run interrupted after 28.7 s of 90 s"
    at = 1796605922.0
    return RunRecord(
        id=run_id,
        experiment=experiment,
        started_at=at,
        ended_at=at + 2,
        status=status,  # type: ignore[arg-type]
        results_dir=str(run_dir),
        summary=summary,
        headless=True,
    )


async def test_every_run_of_the_same_minute_reads_apart_at_80_columns(engine: Engine, tmp_path: Path) -> None:
    runs = [
        record(tmp_path, "20261207T011202Z-sim-timeline", "sim-timeline", "done", None, "done"),
        record(tmp_path, "20261207T011202Z-sim-timeline-2", "sim-timeline", "done", None, "done"),
        record(tmp_path, "20261207T011205Z-sim-timeline", "sim-timeline", "interrupted", None, "interrupted"),
        record(tmp_path, "20261207T011206Z-" + "x" * 40, "x" * 50, "failed", False, "failed"),  # broke
    ]
    for p, held in ((1, False), (2, False), (3, True)):  # three trials in the same second
        name = f"sim-demand-scalability-900-p{p}"
        runs.append(record(tmp_path, f"20261207T011214Z-{name}", name, "done" if held else "failed", held, "done"))
    engine.store.update(lambda s: s.runs.extend(runs))
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen")
        await pilot.pause()
        table = app.screen.query_one(FilterTable)
        assert table.table.virtual_size.width <= table.table.scrollable_content_region.width, "a column is cut"
        shown = {key: [str(c) for c in cells] for key, cells in table.rows}
        assert len({(cells[4], cells[5]) for cells in shown.values()}) == len(shown), "two rows read the same"
        assert len(shown) == len(runs)
        assert shown["20261207T011202Z-sim-timeline-2"][5] == "011202Z-2"
        assert shown["20261207T011214Z-sim-demand-scalability-900-p2"][4].startswith("scalability 900/p2 sim-")
        long = shown["20261207T011206Z-" + "x" * 40]
        assert long[4].endswith("…") and long[5] == "011206Z"
        # a trial that ran to its end and missed the SLO is not a run that broke
        statuses = {key: (cells[1], cells[3]) for key, cells in shown.items()}
        assert statuses["20261207T011214Z-sim-demand-scalability-900-p1"] == ("done", "FAIL")
        assert statuses["20261207T011206Z-" + "x" * 40] == ("failed", "FAIL")
        assert statuses["20261207T011205Z-sim-timeline"] == ("interrupted", "?"), "read as 'no SLO'"
        assert statuses["20261207T011202Z-sim-timeline"] == ("done", "-")
        # review 34 F6: End and Home moved nothing, the oldest run was 17 presses away
        await pilot.press("end")
        assert table.table.cursor_row == len(runs) - 1
        await pilot.press("home")
        assert table.table.cursor_row == 0
        hint = str(app.screen.query_one("#runs-state", Static).render())
        assert "3 scalability trial(s)" in hint and "/!scalability" in hint
        assert "SLO ?: not judged, the run did not reach its end." in hint
