"""Plots: throughput (target vs achieved), latency, parallelism and busy time, live, with fault windows marked.

textual-plotext costs ~1 s to import, so the plots are built the first time this pane is shown with data.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from scaletui.events import DecisionEvent, Event, FaultEvent, MetricsEvent
from scaletui.metrics.model import JobSample
from scaletui.tui.intents import whole_number
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen

HISTORY = 600
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
    DEFAULT_CSS = """
    PlotsPane #headline { height: auto; padding: 0 1; }
    PlotsPane #scaling-line { height: auto; max-height: 3; padding: 0 1; }
    PlotsPane #scaling-line { color: $text-muted; }
    PlotsPane Grid { grid-size: 2 2; height: 1fr; }
    PlotsPane #plots-empty { padding: 1 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.samples: deque[JobSample] = deque(maxlen=HISTORY)
        self.faults: dict[str, list[float | None]] = {}
        self.decisions: deque[float] = deque(maxlen=100)
        self.plots: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="headline")
        yield Static("", id="scaling-line")
        yield Grid(id="plot-grid")

    def engine_ready(self) -> None:
        self.set_interval(1.0, self._scaling_tick)

    def _scaling_tick(self) -> None:
        if self.is_active:
            self.query_one("#scaling-line", Static).update(self.scaling_line())

    def scaling_line(self) -> str:
        """Active strategy, time to its next decision and its last decision with the reason."""
        if not self.engine.live.is_open:
            return ""
        status = self.engine.live.strategy_status()
        if status is None:
            return "autoscaler off: press a to choose a strategy"
        state = "paused" if status.paused else "dry-run" if status.dry_run else "on"
        nxt = f", next decision in {status.next_decision_in:.0f}s" if status.next_decision_in is not None else ""
        last = status.last_decision
        tail = f" | last: {last.reason}" if last is not None else ""
        return f"{status.strategy} {state}{nxt}{tail}"

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_load_profile(self) -> None:
        from scaletui.tui.screens.load_form import load_form, load_spec

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_intent("changing the load", lambda: self.engine.live.set_load(load_spec(values)), "load")

        self.app.push_screen(load_form(self.engine.store.session.job.load_profile), done)

    def action_rescale(self) -> None:
        job = self.engine.store.session.job
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

        current = self.engine.store.session.strategy.name
        fields = [FormField("name", "Strategy", current, ("none", *strategy_names()))]

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_intent("switching strategy", lambda: self.engine.live.set_strategy(values["name"]), "scaling")

        self.app.push_screen(FormScreen("Autoscaling strategy", fields), done)

    def action_toggle_loop(self) -> None:
        self.run_intent("pausing or resuming", self.engine.live.toggle_pause, group="scaling")

    def action_toggle_dry_run(self) -> None:
        self.run_intent("toggling dry-run", self.engine.live.toggle_dry_run, group="scaling")

    def on_engine_event(self, event: Event) -> None:
        if isinstance(event, MetricsEvent):
            self.samples.append(event.sample)
            if self.is_active:
                self.redraw()
        elif isinstance(event, FaultEvent):
            if event.action == "injected":
                self.faults[event.fault_id] = [event.ts, None]
            elif event.fault_id in self.faults:
                self.faults[event.fault_id][1] = event.ts
        elif isinstance(event, DecisionEvent) and event.applied:
            self.decisions.append(event.ts)

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
        if not self.samples:
            return
        last = self.samples[-1]
        self.query_one("#headline", Static).update(headline(last))
        if not self.plots:
            self._build()
            self.call_after_refresh(self.redraw)
            return
        t0 = self.samples[0].ts
        xs = [s.ts - t0 for s in self.samples]
        self._series(
            "throughput",
            "records/s",
            xs,
            {
                "target": [s.target_rate for s in self.samples],
                "achieved": [s.achieved_rate for s in self.samples],
            },
            t0,
        )
        self._series(
            "latency", "latency ms", xs, {q: [s.latency_ms.get(q) for s in self.samples] for q in ("p50", "p99")}, t0
        )
        ops = list(last.operators)
        self._series(
            "parallelism",
            "parallelism",
            xs,
            {
                op: [float(s.operators[op].parallelism) if op in s.operators else None for s in self.samples]
                for op in ops
            },
            t0,
        )
        self._series(
            "busy",
            "busy ms/s",
            xs,
            {op: [s.operators[op].busy_ms_per_s if op in s.operators else None for s in self.samples] for op in ops},
            t0,
        )

    def _series(self, name: str, title: str, xs: list[float], lines: dict[str, list[float | None]], t0: float) -> None:
        plot = self.plots[name]
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        top = 0.0
        for label, ys in lines.items():
            pts = [(x, y) for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], label=label)
                top = max(top, max(p[1] for p in pts))
        for start, end in self.faults.values():
            x0 = (start or t0) - t0
            x1 = (end - t0) if end else xs[-1]
            if x1 >= 0 and top > 0:
                plt.vertical_line(max(0.0, x0), color=self.palette.plot("fault-active"))
                plt.vertical_line(x1, color=self.palette.plot("fault-active"))
        for ts in self.decisions:
            if ts >= t0:
                plt.vertical_line(ts - t0, color=self.palette.plot("decision"))
        plot.refresh()
