"""The run history: start an experiment from the TUI, see it in the list, open its summary, run it again."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from textual.widgets import Markdown, Static

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.results.run_facts import RunFacts, read_run_facts
from scaletui.session.model import RunRecord
from scaletui.tui.app import ScaletuiApp
from scaletui.tui.screens.comparison import ComparisonScreen
from scaletui.tui.screens.form import FormScreen
from scaletui.tui.screens.run_summary import RunSummaryScreen
from scaletui.tui.screens.runs import COLUMNS, MARK, READING, RunsScreen, length_cell, run_row, started_cell
from scaletui.tui.widgets.filter_table import FilterTable
from tests.tui.pilot import message, screen_text, wait_for

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
        # both runs listed with their job's simulated length and their strategy, then marked and compared
        table = app.screen.query_one(FilterTable)
        length, strategy = COLUMNS.index("Length"), COLUMNS.index("Strategy")

        def listed() -> list[tuple[str, str]]:
            return [(str(cells[length]), str(cells[strategy])) for _, cells in table.rows]

        await wait_for(pilot, lambda: listed() == [("10m00s sim", "ds2")] * 2, "both runs listed as ended")
        await pilot.press("c")
        assert "Mark two runs or more" in message(app)
        await pilot.press("home", "space", "down", "space")
        assert all(str(cells[COLUMNS.index("Run")]).startswith(MARK) for _, cells in table.rows)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComparisonScreen), "the comparison", 60)
        compared = sorted((Path(engine.store.session.runs[0].results_dir).parent).glob("compare-*/compare.md"))
        assert len(compared) == 1, "compare.md is kept beside the runs"
        text = compared[0].read_text()
        assert "# Comparison" in text and all(Path(r.results_dir).name in text for r in engine.store.session.runs)
        await wait_for(pilot, lambda: "throughput" in "\n".join(screen_text(app)), "the comparison on screen")
    first, second = engine.store.session.runs
    assert (Path(second.results_dir) / "experiment.toml").read_text() == SHORT
    assert Path(first.results_dir).parent == Path(second.results_dir).parent


def reading(table: FilterTable) -> bool:
    """A run's Length or Strategy still waits for its files to be read."""
    return any(READING in (cells[COLUMNS.index("Length")], cells[COLUMNS.index("Strategy")]) for _, cells in table.rows)


async def test_a_comparison_reads_whole_at_80_columns(engine: Engine, tmp_path: Path) -> None:
    """Review 36 C2: `c` showed compare.md as text, its table rows cut at the screen's edge. It is a boxed table
    whose cells wrap, every value of a row on the row's first line; many runs scroll sideways instead."""
    from scaletui.results.compare import compare_runs

    demo = Path(__file__).parents[1] / "fixtures" / "sessions" / "demo" / "results" / "20261123T210049Z-demo-step"
    runs = [shutil.copytree(demo, tmp_path / name) for name in ("a", "20261123T220049Z-demo-step-a-longer-name")]
    done = compare_runs(runs, tmp_path / "compared")
    app = ScaletuiApp(engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine_ready, "the session to open", 60)
        app.push_screen(ComparisonScreen("Comparison of a, b", done))
        await wait_for(pilot, lambda: isinstance(app.screen, ComparisonScreen), "the comparison")
        await pilot.pause()
        box = app.screen.query_one("#comparison")
        assert box.virtual_size.width <= box.scrollable_content_region.width, "the table runs off the screen"
        rows = screen_text(app)
        assert any(row.startswith(" ╭") and row.rstrip().endswith("╮") for row in rows), rows
        achieved = next(row for row in rows if row.startswith(" │ throughput") and "779.6" in row)
        assert achieved.count("779.6 rec/s") == 2 and "+0.0 rec/s" in achieved, rows
        legend = next(i for i, row in enumerate(rows) if row.startswith(" B: "))
        assert "status done" in rows[legend] + rows[legend + 1], rows
    assert done.markdown.read_text().count("| throughput achieved (mean) |") == 1, "compare.md is as it was"


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
        table = app.screen.query_one(FilterTable)
        await wait_for(pilot, lambda: len(table.rows) == len(runs) and not reading(table), "the runs' files read")
        assert table.table.virtual_size.width <= table.table.scrollable_content_region.width, "a column is cut"
        shown = {key: [str(c) for c in cells] for key, cells in table.rows}
        name, run_id, status, slo = (COLUMNS.index(c) for c in ("Experiment", "Run", "Status", "SLO"))
        assert len({(cells[name], cells[run_id]) for cells in shown.values()}) == len(shown), "two rows read the same"
        # review 36 C4: the three trials of one second all read 011214Z in Run, the one id shown
        assert len({cells[run_id] for cells in shown.values()}) == len(shown), "two runs show the same id"
        trial = "20261207T011214Z-sim-demand-scalability-900-p"
        assert [shown[f"{trial}{p}"][run_id] for p in (1, 2, 3)] == ["011214Z-p1", "011214Z-p2", "011214Z-p3"]
        assert len(shown) == len(runs)
        assert shown["20261207T011202Z-sim-timeline-2"][run_id] == "011202Z-2"
        assert shown["20261207T011214Z-sim-demand-scalability-900-p2"][name].startswith("scalability 900/p2")
        long = shown["20261207T011206Z-" + "x" * 40]
        assert long[name].endswith("…") and long[run_id] == "011206Z"
        # a trial that ran to its end and missed the SLO is not a run that broke
        statuses = {key: (cells[status], cells[slo]) for key, cells in shown.items()}
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


def test_length_is_the_jobs_own_and_a_simulated_one_says_so(tmp_path: Path) -> None:
    """Review 34 F25: the history's time column was wall time, so a simulated hour read `8s`."""
    run = record(tmp_path, "20261207T011202Z-sim-hour", "sim-hour", "done", True, "done")
    rows = "ts,t_s,operator\n1796605923.0,1.0,source\n1796609522.0,3600.0,source\n"
    (Path(run.results_dir) / "metrics.csv").write_text(rows)
    (Path(run.results_dir) / "experiment.toml").write_text(
        '[strategy]\nname = "none"\n[[timeline]]\nat = "5m"\ndo = "strategy"\nname = "ds2"\n'
    )
    facts = read_run_facts(run.results_dir, ended=True)
    assert length_cell(run.model_copy(update={"backend": "simulator"}), facts) == "1h00m sim"
    assert length_cell(run.model_copy(update={"backend": "local"}), facts) == "1h00m"
    assert length_cell(run, facts) == "1h00m sim", "recorded without its backend: an hour in 2 s was simulated"
    assert run_row(run, facts)[1][COLUMNS.index("Strategy")] == "none→ds2"
    bare = record(tmp_path, "20261207T011203Z-broke", "broke", "failed", None, "failed")
    bare_facts = read_run_facts(bare.results_dir, ended=True)
    assert length_cell(bare, bare_facts) == "2s", "no sample recorded: the wall time from start to end"
    assert run_row(bare, bare_facts)[1][COLUMNS.index("Strategy")] == "-"


def test_started_shows_the_time_of_a_recent_run_and_the_date_of_an_older_one() -> None:
    at = 1796605922.0
    assert started_cell(at, at + 3600) == time.strftime("%H:%M", time.localtime(at))
    assert started_cell(at, at + 2 * 86400) == time.strftime("%m-%d", time.localtime(at))


async def test_the_runs_files_are_read_off_the_ui_thread_and_once_however_many_runs(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 36 F7: each 2 s refresh read the runs' files on the UI thread, and past 1024 runs the cache evicted
    what the next refresh read again, so every refresh read them all."""
    from scaletui.tui.screens import runs as runs_screen

    reads: list[threading.Thread] = []

    def read(run_dir: str, ended: bool) -> RunFacts:
        reads.append(threading.current_thread())
        return read_run_facts(run_dir, ended)

    monkeypatch.setattr(runs_screen, "read_run_facts", read)
    at = 1796605922.0
    many = [
        RunRecord(
            id=f"run-{i:04d}",
            experiment="sim",
            started_at=at + i,
            ended_at=at + i + 2,
            status="done",
            results_dir=str(tmp_path / "results" / f"run-{i:04d}"),
            headless=True,
        )
        for i in range(1100)
    ]
    engine.store.update(lambda s: s.runs.extend(many))
    app = ScaletuiApp(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen")
        table = app.screen.query_one(FilterTable)
        await wait_for(pilot, lambda: len(table.rows) == len(many) and not reading(table), "every run read", 60)
        assert len(reads) == len(many) and threading.main_thread() not in reads
        app.screen.refresh_runs()
        await pilot.press("escape", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen again")
        await pilot.pause()
        assert len(reads) == len(many), "an ended run's files are read once, from one visit of the screen to the next"


def test_the_quit_question_names_the_running_experiment(engine: Engine) -> None:
    """Review 38 F10: the quit's question while an experiment ran read "Quit? Experiment <scaletui.engine.experiment
    .ExperimentRun object at 0x...> is running and will be cancelled." """
    from scaletui.tui.availability import live_work

    engine.experiments.start(engine.conf_dir / "experiments" / "tui-sim.toml")
    try:
        assert live_work(engine).startswith("Experiment tui-sim is running and will be cancelled"), live_work(engine)
    finally:
        engine.experiments.cancel()
