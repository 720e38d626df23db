"""Run history (`R` or `:runs`): past runs of the session, their summary and plots, and a key to run again.

Enter opens a run; `v` replays it through the panes; `e` starts the same experiment file again; `n` starts one
from conf/experiments/; `x` cancels the experiment in progress; Esc (or a pane key, `:` or the palette) goes back.
Results are read from each run's directory, as `scaletui report` reads them. What is running and the last message
are two lines, so the refresh of the first never blanks the second; the message line is the panes' (a `:` command
typed here is answered on it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from scaletui.config.units import format_duration
from scaletui.errors import UserError
from scaletui.results.layout import RUN_META, parse_trial_name, short_run_id
from scaletui.tui.actions import bindings
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row
from scaletui.tui.widgets.status import MessageLine

if TYPE_CHECKING:
    from scaletui.session.model import RunRecord

EMPTY = "No run yet in this session. Press n to start an experiment from conf/experiments/."


COLUMNS = ("Started", "Status", "Took", "SLO", "Experiment", "Run")
EXPERIMENT = COLUMNS.index("Experiment")
MIN_EXPERIMENT = 12


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def fit(rows: list[Row], width: int) -> list[Row]:
    """Cut the experiment names (with …) so every row fits `width` columns, Run included: each column takes its
    widest cell and 2 of padding, the vertical scrollbar 2."""
    if not rows:
        return rows
    others = sum(
        max(len(COLUMNS[i]), *(len(str(cells[i])) for _, cells in rows)) + 2
        for i in range(len(COLUMNS))
        if i != EXPERIMENT
    )
    room = max(MIN_EXPERIMENT, width - others - 2 - 2)
    return [
        (key, [*cells[:EXPERIMENT], shorten(str(cells[EXPERIMENT]), room), *cells[EXPERIMENT + 1 :]])
        for key, cells in rows
    ]


def experiment_label(name: str) -> str:
    """A scalability trial reads `scalability 900/p3 sim-demand`: what it is and its load/parallelism come first."""
    trial = parse_trial_name(name)
    if trial is not None:
        base, load, parallelism = trial
        return f"scalability {load}/p{parallelism} {base}"
    return name


def short_id(run: RunRecord) -> str:
    return short_run_id(run.id, run.experiment)


@lru_cache(maxsize=1024)
def recorded_status(results_dir: str) -> str:
    """The status the run's own run.json holds ("" when unreadable); an ended run's never changes."""
    try:
        meta = json.loads((Path(results_dir) / RUN_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(meta.get("status", "")) if isinstance(meta, dict) else ""


def shown_status(run: RunRecord) -> str:
    """A run that ran to its end and missed its SLO is `done` (with SLO FAIL), as its run.json and `scaletui report`
    say; the session marks it `failed` for the exit code of `--script`. `failed` is left to runs that broke."""
    missed = run.status == "failed" and run.summary.get("passed") is False and bool(run.results_dir)
    return "done" if missed and recorded_status(run.results_dir) == "done" else run.status


NOT_JUDGED = "?"
"""The SLO cell of a run that did not reach its end: not judged (its summary and report say why), apart from `-`, a
run with no SLO; one character, so the experiment names keep their width at 80 columns."""


def slo_cell(summary: dict[str, object]) -> str:
    if "passed" in summary:
        return "pass" if summary["passed"] else "FAIL"
    return NOT_JUDGED if summary.get("not_judged") else "-"


def run_row(run: RunRecord) -> Row:
    took = format_duration(run.ended_at - run.started_at) if run.ended_at else "running"
    when = time.strftime("%m-%d %H:%M", time.localtime(run.started_at))
    slo = slo_cell(run.summary)
    return run.id, [when, shown_status(run), took, slo, experiment_label(run.experiment), short_id(run)]


def experiment_file_of(run: RunRecord) -> Path:
    """The copy kept in the results directory: exactly what ran, even if conf/ changed since."""
    return Path(run.results_dir) / "experiment.toml"


class RunsScreen(Screen[None]):
    BINDINGS = bindings("runs")
    DEFAULT_CSS = """
    RunsScreen .title { background: $panel; padding: 0 1; }
    RunsScreen #runs-state { padding: 0 1; color: $state-warn; height: auto; }
    RunsScreen #runs-state.-hint { color: $text-muted; }
    """

    def __init__(self, engine, keymap: Mapping[str, str] | None = None) -> None:  # type: ignore[no-untyped-def]
        """`keymap`: the user's, for the keys of a replay opened from here."""
        super().__init__()
        self.engine = engine
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Runs of this session  (Enter opens a run, Esc goes back to the panes)", classes="title")
            yield FilterTable(list(COLUMNS), EMPTY, id="runs")
            yield Static("", id="runs-state")
            yield MessageLine(id="runs-message")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_runs()
        self.set_interval(2.0, self.refresh_runs)
        self.query_one(FilterTable).table.focus()

    def refresh_runs(self) -> None:
        if not self.is_attached:  # the timer can fire while the app exits and the table is gone
            return
        runs = sorted(self.engine.store.session.runs, key=lambda r: r.started_at, reverse=True)
        self.query_one(FilterTable).set_rows(fit([run_row(r) for r in runs], self.size.width or 80))
        launcher = self.engine.experiments
        current = launcher.current.name if launcher.current is not None else ""
        trials = sum(1 for r in runs if parse_trial_name(r.experiment) is not None)
        state = f"Running: {current} (x cancels it)." if launcher.running else ""
        unjudged = any(slo_cell(r.summary) == NOT_JUDGED for r in runs)
        hint = bool(trials or unjudged) and not state
        if hint:
            said = [f"{trials} scalability trial(s) listed: /!scalability hides them."] if trials else []
            said += [f"SLO {NOT_JUDGED}: not judged, the run did not reach its end."] if unjudged else []
            state = " ".join(said)
        line = self.query_one("#runs-state", Static)
        line.set_class(hint, "-hint")
        line.update(state)

    def on_resize(self) -> None:
        self.refresh_runs()

    def _selected(self) -> RunRecord | None:
        key = self.query_one(FilterTable).selected_key()
        return next((r for r in self.engine.store.session.runs if r.id == key), None)

    def say(self, text: str, error: bool = False) -> None:
        """Through the app, as every message: on this screen's line and in the transcript M lists."""
        self.app.say(text, "error" if error else "info")  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()

    def _start(self, path: Path | str) -> None:
        def work() -> str:
            return str(self.engine.experiments.start(path))

        self.run_worker(work, thread=True, name="starting the experiment", exit_on_error=False)

    def on_worker_state_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        event.stop()
        if event.state.name == "ERROR":
            error = event.worker.error
            self.say(str(error) if isinstance(error, UserError) else f"{event.worker.name} failed: {error}.", True)
        elif event.state.name == "SUCCESS" and isinstance(event.worker.result, str):
            self.say(event.worker.result)

    def on_data_table_row_selected(self, event) -> None:  # type: ignore[no-untyped-def]
        """Enter on a row: the table takes Enter before the screen's binding sees it."""
        event.stop()
        self.action_open_run()

    def action_open_run(self) -> None:
        run = self._selected()
        if run is not None:
            from scaletui.tui.screens.run_summary import RunSummaryScreen

            self.app.push_screen(RunSummaryScreen(Path(run.results_dir)))

    def action_replay_run(self) -> None:
        run = self._selected()
        if run is None:
            self.say("Select a run first.")
            return
        from scaletui.tui.screens.replay import open_replay

        try:
            self.app.push_screen(open_replay(self.engine, run.results_dir, self.keymap))
        except UserError as e:
            self.say(str(e), True)

    def action_rerun(self) -> None:
        run = self._selected()
        if run is None:
            self.say("Select a run first.")
        else:
            self._start(experiment_file_of(run))

    def action_new_run(self) -> None:
        files = [p.name for p in self.engine.conf_files("experiments")]
        if not files:
            self.say(f"No experiment file in {self.engine.conf_dir / 'experiments'}.")
            return

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self._start(self.engine.conf_dir / "experiments" / values["file"])

        self.app.push_screen(
            FormScreen("Start an experiment", [FormField("file", "Experiment", files[0], tuple(files))]), done
        )

    def action_cancel_run(self) -> None:
        self.run_worker(self.engine.experiments.cancel, thread=True, name="cancelling", exit_on_error=False)
