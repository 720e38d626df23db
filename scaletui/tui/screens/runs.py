"""Run history (`R` or `:runs`): past runs of the session, their summary and plots, and a key to run again.

Enter opens a run; `v` replays it through the panes; `e` starts the same experiment file again; `n` starts one
from conf/experiments/; `x` cancels the experiment in progress; space marks runs and `c` compares them (as
`scaletui compare` does); Esc (or a pane key, `:` or the palette) goes back. Results are read from each run's
directory, as `scaletui report` reads them, in a thread worker (Length and Strategy read … until then); Length is
the job's own length, in simulated time for a simulated run.
What is running and the last message are two lines, so the refresh of the first never blanks the second; the message
line is the panes' (a `:` command typed here is answered on it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, get_current_worker

from scaletui.config.units import format_duration
from scaletui.errors import UserError
from scaletui.results.layout import distinct_short_ids, parse_trial_name, short_run_id
from scaletui.results.run_facts import RunFacts, read_run_facts
from scaletui.tui.actions import bindings
from scaletui.tui.screens.form import FormField, FormScreen
from scaletui.tui.widgets.filter_table import FilterTable, Row
from scaletui.tui.widgets.status import MessageLine

if TYPE_CHECKING:
    from scaletui.session.model import RunRecord

EMPTY = "No run yet in this session. Press n to start an experiment from conf/experiments/."


COLUMNS = ("Started", "Status", "Length", "SLO", "Strategy", "Experiment", "Run")
MARK = "● "
"""Before the Run id of a run marked for `c`."""
RECENT_S = 86400.0
"""A run started within this long shows its time in Started, an older one its date: five characters either way, so
80 columns keep room for the experiment's name (the Run id holds the time of day, the summary the whole date)."""
SHRINKING = ((COLUMNS.index("Strategy"), 10), (COLUMNS.index("Experiment"), 12))
"""The columns cut (with …) to fit the width, in that order, each down to its minimum."""
READING = "…"
"""The Length and Strategy of a run whose files are being read."""
SHOW_READ_S = 0.5
"""How often a long read shows what it has read: the first `R` of a session of hundreds of trials fills the list as
it reads, newest first, without redrawing the whole table for every run."""
READ: dict[str, RunFacts] = {}
"""What was read of each run's files, by results directory, kept from one visit of the screen to the next: an ended
run's facts are final, a running run's are read again on each refresh. One small record per run, as the session
holds one RunRecord per run, so no bound evicts what a refresh would read again."""
NO_FILES = RunFacts("", final=True)
"""The facts of a run that has no results directory."""


TRIAL_HEAD = re.compile(r"^scalability \S+/p[0-9]+")
"""What tells a scalability trial's label apart (`experiment_label`): its experiment's name after it goes first."""


def shorten(text: str, width: int) -> str:
    """Cut with … to `width`; a trial's label that has room for its load and parallelism alone keeps them whole."""
    if len(text) <= width:
        return text
    head = TRIAL_HEAD.match(text)
    return head[0] if head is not None and width - 1 < head.end() <= width else text[: width - 1] + "…"


def fit(rows: list[Row], width: int) -> list[Row]:
    """Cut the strategy, then the experiment names (with …) so every row fits `width` columns, Run included: each
    column takes its widest cell and 2 of padding, the vertical scrollbar 2."""
    if not rows:
        return rows
    widths = [max(len(COLUMNS[i]), *(len(str(cells[i])) for _, cells in rows)) for i in range(len(COLUMNS))]
    over = sum(w + 2 for w in widths) + 2 - width
    for column, least in SHRINKING:
        cut = min(max(0, over), max(0, widths[column] - least))
        widths[column] -= cut
        over -= cut
    return [
        (key, [shorten(str(cell), widths[i]) if i in dict(SHRINKING) else cell for i, cell in enumerate(cells)])
        for key, cells in rows
    ]


def experiment_label(name: str) -> str:
    """A scalability trial reads `scalability 900/p3 sim-demand`: what it is and its load/parallelism come first."""
    trial = parse_trial_name(name)
    if trial is not None:
        base, load, parallelism = trial
        return f"scalability {load}/p{parallelism} {base}"
    return name


def short_ids(runs: Iterable[RunRecord]) -> dict[str, str]:
    """Each run's id as the Run column shows it: short, yet unique among the session's runs, so the verbs take it."""
    return distinct_short_ids((run.id, run.experiment) for run in runs)


def facts_of(run: RunRecord) -> RunFacts | None:
    """What was read of the run's files; None before the first read."""
    return READ.get(run.results_dir) if run.results_dir else NO_FILES


def needs_reading(run: RunRecord) -> bool:
    facts = facts_of(run)
    return facts is None or not facts.final


def shown_status(run: RunRecord, facts: RunFacts | None) -> str:
    """A run that ran to its end and missed its SLO is `done` (with SLO FAIL), as its run.json and `scaletui report`
    say; the session marks it `failed` for the exit code of `--script`. `failed` is left to runs that broke."""
    missed = run.status == "failed" and run.summary.get("passed") is False
    return "done" if missed and facts is not None and facts.status == "done" else run.status


NOT_JUDGED = "?"
"""The SLO cell of a run that did not reach its end: not judged (its summary and report say why), apart from `-`, a
run with no SLO; one character, so the experiment names keep their width at 80 columns."""


def slo_cell(summary: dict[str, object]) -> str:
    if "passed" in summary:
        return "pass" if summary["passed"] else "FAIL"
    return NOT_JUDGED if summary.get("not_judged") else "-"


def length_cell(run: RunRecord, facts: RunFacts | None) -> str:
    """The job's length in the run's own clock ("1h00m sim" for a simulated hour the machine ran in seconds); the
    wall time from start to end for a run that recorded no sample."""
    if not run.ended_at:
        return "running"
    if facts is None or not facts.final:
        return READING
    wall = run.ended_at - run.started_at
    length = facts.length
    if length is None:
        return format_duration(wall)
    # a session recorded before runs kept their backend: only a simulated job runs longer than the machine took
    simulated = run.backend == "simulator" or (not run.backend and length > 1.5 * wall + 10)
    return format_duration(length) + (" sim" if simulated else "")


def started_cell(started_at: float, now: float) -> str:
    return time.strftime("%H:%M" if 0 <= now - started_at < RECENT_S else "%m-%d", time.localtime(started_at))


def run_row(
    run: RunRecord, facts: RunFacts | None, marked: bool = False, now: float | None = None, shown_id: str = ""
) -> Row:
    """`facts`: what was read of the run's files (None: not yet); `shown_id`: the run's id among the others listed
    (`short_ids`), alone its short id."""
    when = started_cell(run.started_at, time.time() if now is None else now)
    strategy = READING if facts is None else facts.strategies or "-"
    shown_id = shown_id or short_run_id(run.id, run.experiment)
    run_id = MARK + shown_id if marked else shown_id
    cells = [when, shown_status(run, facts), length_cell(run, facts), slo_cell(run.summary), strategy]
    return run.id, [*cells, experiment_label(run.experiment), run_id]


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
        self.marked: set[str] = set()
        """The ids of the runs marked for `c` (compare)."""
        self.reader: Worker[None] | None = None
        """The worker reading the runs' files; one at a time, so a slow read is never started again over itself."""

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
        """The list from what was read so far, then a read, in a thread, of the files of the runs that need one."""
        if not self.is_attached:  # the timer can fire while the app exits and the table is gone
            return
        runs = self.show_runs()
        stale = [r for r in runs if needs_reading(r)]
        if stale and (self.reader is None or self.reader.is_finished):
            work = partial(self.read_facts, stale)
            self.reader = self.run_worker(work, thread=True, name="reading the runs' files", exit_on_error=False)

    def read_facts(self, runs: list[RunRecord]) -> None:
        """In a thread: the runs' files, newest first, shown every SHOW_READ_S and at the end."""
        worker = get_current_worker()
        read: dict[str, RunFacts] = {}
        shown = time.monotonic()
        for i, run in enumerate(runs):
            read[run.results_dir] = read_run_facts(run.results_dir, bool(run.ended_at))
            if worker.is_cancelled:
                return
            if i == len(runs) - 1 or time.monotonic() - shown >= SHOW_READ_S:
                self.app.call_from_thread(self.take_facts, read)
                read, shown = {}, time.monotonic()

    def take_facts(self, read: dict[str, RunFacts]) -> None:
        READ.update(read)
        if self.is_attached:
            self.show_runs()

    def show_runs(self) -> list[RunRecord]:
        """The table and the state line from the session and what was read of the runs' files; the runs, newest
        first."""
        runs = sorted(self.engine.store.session.runs, key=lambda r: r.started_at, reverse=True)
        now = time.time()
        ids = short_ids(runs)
        rows = [run_row(r, facts_of(r), r.id in self.marked, now, ids[r.id]) for r in runs]
        self.query_one(FilterTable).set_rows(fit(rows, self.size.width or 80))
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
        return runs

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
        from scaletui.engine.experiment_choice import preferred_experiment

        paths = self.engine.conf_files("experiments")
        first = preferred_experiment(paths, self.engine.store.session)
        files = [p.name for p in paths]
        if first is None:
            self.say(f"No experiment file in {self.engine.conf_dir / 'experiments'}.")
            return

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self._start(self.engine.conf_dir / "experiments" / values["file"])

        self.app.push_screen(
            FormScreen("Start an experiment", [FormField("file", "Experiment", first.name, tuple(files))]), done
        )

    def action_mark_run(self) -> None:
        run = self._selected()
        if run is None:
            self.say("Select a run first.")
            return
        self.marked ^= {run.id}
        self.refresh_runs()
        count = len(self.marked)
        self.say(f"{count} run(s) marked: c compares them." if count >= 2 else f"{count} run(s) marked.")

    def action_compare_runs(self) -> None:
        """The marked runs side by side (with one marked, it and the selected run), the earliest as A, written as
        `scaletui compare` writes them: compare.md and overlay plots beside the runs."""
        chosen = set(self.marked)
        selected = self._selected()
        if len(chosen) == 1 and selected is not None:
            chosen.add(selected.id)
        runs = sorted((r for r in self.engine.store.session.runs if r.id in chosen), key=lambda r: r.started_at)
        if len(runs) < 2:
            self.say("Mark two runs or more with space, then c compares them.")
            return
        ids = short_ids(self.engine.store.session.runs)
        running = [ids[r.id] for r in runs if r.status == "running"]
        if running:
            self.say(f"Run {', '.join(running)} is still running: compare it once it has ended.", True)
            return
        self.say(f"Comparing {len(runs)} runs…")
        self.run_worker(lambda: self._compare(runs, ids), thread=True, name="comparing", exit_on_error=False)

    def _compare(self, runs: list[RunRecord], ids: dict[str, str]) -> None:
        from scaletui.results.compare import compare_runs
        from scaletui.tui.screens.comparison import ComparisonScreen

        done = compare_runs([r.results_dir for r in runs])
        title = f"Comparison of {', '.join(ids[r.id] for r in runs)}"
        self.app.call_from_thread(self.app.push_screen, ComparisonScreen(title, done))
        said = f"Compared {len(runs)} runs: {done.markdown} and {len(done.plots)} plot(s)."
        self.app.call_from_thread(self.say, said)

    def action_cancel_run(self) -> None:
        self.run_worker(self.engine.experiments.cancel, thread=True, name="cancelling", exit_on_error=False)
