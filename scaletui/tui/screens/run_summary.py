"""One past run: its summary table and its throughput, latency and parallelism drawn in the terminal."""

from __future__ import annotations

import math
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static


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
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self.load, thread=True, exit_on_error=False, name="loading the run")

    def load(self) -> None:
        from scaletui.results.rundata import load_run
        from scaletui.results.summary import summarize, summary_table

        try:
            data = load_run(self.run_dir)
            text = summary_table(summarize(data))
        except Exception as e:
            self.app.call_from_thread(self.query_one("#summary", Markdown).update, f"Cannot read this run: {e}")
            return
        self.app.call_from_thread(self.show, data, text)

    def show(self, data, text: str) -> None:  # type: ignore[no-untyped-def]
        from textual_plotext import PlotextPlot

        self.query_one("#summary", Markdown).update(text)
        t = [float(x - data.start) for x in data.ts]
        series = {
            "throughput (records/s)": {"target": data.target, "achieved": data.achieved},
            "latency (ms)": data.latency,
            "parallelism": data.parallelism,
            "busy (ms/s)": data.busy,
        }
        grid = self.query_one("#run-plots", Grid)
        for title, lines in series.items():
            plot = PlotextPlot()
            grid.mount(plot)
            plt = plot.plt
            plt.title(title)
            for label, ys in lines.items():
                pts = [(x, float(y)) for x, y in zip(t, ys) if math.isfinite(y)]
                if pts:
                    plt.plot([p[0] for p in pts], [p[1] for p in pts], label=str(label))
            for fault in data.faults:
                if fault.get("action") == "injected" and "ts" in fault:
                    plt.vertical_line(float(fault["ts"]) - data.start, color="red")
