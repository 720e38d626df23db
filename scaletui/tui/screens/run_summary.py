"""One past run: its summary table and its throughput, latency and parallelism drawn in the terminal; the message
line under them answers a `:` command typed here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from scaletui.tui.widgets.status import MessageLine

if TYPE_CHECKING:
    from scaletui.events import DecisionEvent, StepTaken
    from scaletui.results.rundata import RunData


def recorded_marks(run_dir: Path) -> tuple[list[DecisionEvent], list[StepTaken]]:
    """The decisions and the steps taken (by hand or by the file) the charts mark, as the run recorded them."""
    from scaletui.events import DecisionEvent, StepTaken
    from scaletui.results.playback import read_events

    events = read_events(run_dir)
    return [e for e in events if isinstance(e, DecisionEvent)], [e for e in events if isinstance(e, StepTaken)]


class RunSummaryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    RunSummaryScreen VerticalScroll { height: 1fr; }
    RunSummaryScreen Grid { grid-size: 2; height: 30; }
    """

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.run_dir = run_dir

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"[b]{self.run_dir.name}[/b]  {self.run_dir}")
            yield Markdown("Loading the run...", id="summary")
            yield Grid(id="run-plots")
        yield MessageLine()
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self.load, thread=True, exit_on_error=False, name="loading the run")

    def load(self) -> None:
        from scaletui.results.rundata import load_run
        from scaletui.results.summary import summarize, summary_table

        try:
            data = load_run(self.run_dir)
            text = summary_table(summarize(data))
            decisions, steps = recorded_marks(self.run_dir)
        except Exception as e:
            self.app.call_from_thread(self.query_one("#summary", Markdown).update, f"Cannot read this run: {e}")
            return
        self.app.call_from_thread(self.show, data, text, decisions, steps)

    def show(self, data: RunData, text: str, decisions: list[DecisionEvent], steps: list[StepTaken]) -> None:
        """The same charts as the Plots pane (clock-time axis, legend on its own row, faults shaded, decisions
        marked, and the steps that changed the job apart), over the whole run."""
        from scaletui.tui.widgets.chart import Chart
        from scaletui.tui.widgets.chart_data import ChartData, Line, Marker, Span, decision_marks, step_marks
        from scaletui.tui.widgets.chart_styles import chart_styles, line_styles, step_style

        self.query_one("#summary", Markdown).update(text)
        if not len(data.ts):
            return
        palette, variables = self.app.palette, self.app.theme_variables  # type: ignore[attr-defined]
        styles = line_styles(palette, variables)
        shade, marker, axis = chart_styles(palette, variables)
        ts = [float(x) for x in data.ts]
        spans = tuple(Span(w.start, w.end) for w in data.fault_windows())
        stepped = [Marker(at, label, stepped=True) for at, label in step_marks(steps)]
        markers = tuple(
            sorted([Marker(at, label) for at, label in decision_marks(decisions)] + stepped, key=lambda m: m.at)
        )
        charts = {
            "r/s": ({"target": data.target, "achieved": data.achieved}, False, None),
            "latency ms": (data.latency, False, None),
            "parallelism": (data.parallelism, True, None),
            "busy ms/s": (data.busy, False, 1000.0),
        }
        grid = self.query_one("#run-plots", Grid)
        for title, (series, integer, ceiling) in charts.items():
            lines = tuple(
                Line(str(label), ts, [float(v) for v in vs], styles[i % len(styles)])
                for i, (label, vs) in enumerate(series.items())
            )
            chart = Chart()
            grid.mount(chart)
            chart.use_styles(shade, marker, axis, step_style(palette))
            chart.show(ChartData(title, lines, ts[0], ts[-1], data.start, spans, markers, integer, ceiling))
