"""Plots: throughput (target vs achieved), latency, parallelism and busy time, with fault windows marked.

The samples are the engine's series (or a replay's): this pane keeps none of its own, and redraws on a timer only
when it is shown and the series moved. textual-plotext costs ~1 s to import, so the plots are built the first time
this pane is shown with data.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from scaletui.metrics.model import JobSample
from scaletui.tui.intents import whole_number
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen

if TYPE_CHECKING:
    from scaletui.engine.view import RunView

HISTORY_S = 600.0
EMPTY = "No metrics yet. Start the cluster (3, then s) and submit the job (j); plots appear with the first sample."


def fmt(value: float | None, unit: str = "") -> str:
    return "missing" if value is None else f"{value:,.0f}{unit}"


def headline(sample: JobSample) -> str:
    lat = sample.latency_ms
    stale = "  [stale]" if sample.stale else ""
    return (
        f"rate target {fmt(sample.target_rate, '/s')} achieved {fmt(sample.achieved_rate, '/s')}"
        f"  latency p50 {fmt(lat.get('p50'), 'ms')} p99 {fmt(lat.get('p99'), 'ms')}"
        f"  TMs {fmt(sample.taskmanagers)} free slots {fmt(sample.free_slots)}{stale}"
    )


class PlotsPane(Pane, can_focus=True):
    """Focusable itself (its plots are not), so its keys reach it."""

    pane_id = "plots"
    session_parts = frozenset({"strategy"})
    DEFAULT_CSS = """
    PlotsPane #headline { height: auto; padding: 0 1; }
    PlotsPane #scaling-line { height: auto; max-height: 3; padding: 0 1; }
    PlotsPane #scaling-line { color: $text-muted; }
    PlotsPane Grid { grid-size: 2 2; height: 1fr; }
    PlotsPane #plots-empty { padding: 1 1; color: $text-muted; }
    """

    def __init__(self, view: RunView | None = None) -> None:
        super().__init__(view)
        self.plots: dict[str, Any] = {}
        self._drawn = -1

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="headline")
        yield Static("", id="scaling-line")
        yield Grid(id="plot-grid")

    def engine_ready(self) -> None:
        self.set_interval(self.engine.config.refresh.plots, self._tick)

    def _tick(self) -> None:
        if not self.is_active:
            return
        self.query_one("#scaling-line", Static).update(self.scaling_line())
        if self.view.series.version != self._drawn:
            self.redraw()

    def scaling_line(self) -> str:
        """Active strategy, what it does now (rescaling, or the time to its next decision) and its last decision."""
        status = self.view.strategy_status()
        if status is None:
            if self.view.interactive and self.engine.live.run is None:
                return ""
            return "autoscaler off: press a to choose a strategy" if self.view.interactive else "autoscaler off"
        state = "paused" if status.paused else "dry-run" if status.dry_run else "on"
        if status.acting:
            now = f", {status.acting}..."
        elif status.next_decision_in is not None:
            now = f", next decision in {status.next_decision_in:.0f}s"
        else:
            now = ""
        last = status.last_decision
        tail = f" | last: {last.reason}" if last is not None else ""
        return f"{status.strategy} {state}{now}{tail}"

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_load_profile(self) -> None:
        from scaletui.tui.screens.load_form import load_form, load_spec

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_intent("changing the load", lambda: self.engine.live.set_load(load_spec(values)), "load")

        self.app.push_screen(load_form(self.view.session().job.load_profile), done)

    def action_rescale(self) -> None:
        job = self.view.session().job
        names = tuple(op.name for op in job.operators) or ("expensive",)
        fields = [
            FormField("operator", "Operator", "expensive", names),
            FormField("parallelism", "Parallelism", "2"),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return

            def call() -> str:
                p = whole_number(values["parallelism"], "parallelism")
                return self.engine.live.rescale(values["operator"], p)

            self.run_intent("rescaling", call, group="rescale")

        self.app.push_screen(FormScreen("Set an operator's parallelism (pauses the autoscaler)", fields), done)

    def action_strategy(self) -> None:
        from scaletui.scaling.registry import strategy_names

        current = self.view.session().strategy.name
        fields = [FormField("name", "Strategy", current, ("none", *strategy_names()))]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_intent("switching strategy", lambda: self.engine.live.set_strategy(values["name"]), "scaling")

        self.app.push_screen(FormScreen("Autoscaling strategy", fields), done)

    def action_toggle_loop(self) -> None:
        self.run_intent("pausing or resuming", self.engine.live.toggle_pause, group="scaling")

    def action_toggle_dry_run(self) -> None:
        self.run_intent("toggling dry-run", self.engine.live.toggle_dry_run, group="scaling")

    def on_show(self) -> None:
        self.redraw()

    def _build(self) -> None:
        from textual_plotext import PlotextPlot

        grid = self.query_one("#plot-grid", Grid)
        for name in ("throughput", "latency", "parallelism", "busy"):
            plot = PlotextPlot(id=f"plot-{name}")
            self.plots[name] = plot
            grid.mount(plot)

    def redraw(self) -> None:
        self.query_one("#scaling-line", Static).update(self.scaling_line())
        series = self.view.series
        last = series.last_sample
        if last is None:
            return
        self._drawn = series.version
        self.query_one("#headline", Static).update(headline(last))
        if not self.plots:
            self._build()
            self.call_after_refresh(self.redraw)
            return
        since = last.ts - HISTORY_S
        ops = list(series.operators)
        self._plot("throughput", "records/s", {"target": "rate.target", "achieved": "rate.source"}, since, last.ts)
        self._plot("latency", "latency ms", {q: f"latency.{q}" for q in ("p50", "p99")}, since, last.ts)
        self._plot("parallelism", "parallelism", {op: f"op.{op}.parallelism" for op in ops}, since, last.ts)
        self._plot("busy", "busy ms/s", {op: f"op.{op}.busy" for op in ops}, since, last.ts)

    def _plot(self, name: str, title: str, lines: dict[str, str], since: float, end: float) -> None:
        series = self.view.series
        plot = self.plots[name]
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        top = 0.0
        for label, key in lines.items():
            ts, vs = series.series(key, since)
            pts = [(t - since, v) for t, v in zip(ts, vs) if math.isfinite(v)]
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], label=label)
                top = max(top, max(p[1] for p in pts))
        for span in series.fault_spans():
            x1 = (span.end if span.end is not None else end) - since
            if x1 >= 0 and top > 0:
                plt.vertical_line(max(0.0, span.start - since), color=self.palette.plot("fault-active"))
                plt.vertical_line(x1, color=self.palette.plot("fault-active"))
        for decision in series.decisions_between(since):
            if decision.applied:
                plt.vertical_line(decision.ts - since, color=self.palette.plot("decision"))
        plot.refresh()
