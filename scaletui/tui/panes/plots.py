"""Plots: throughput (target, source and processed rates), latency, parallelism and busy time over the last
`PLOT_WINDOW_S`, against time since the run's start, with fault windows shaded and decisions marked and labelled.

The samples are the engine's series (or a replay's): this pane keeps none of its own, and redraws on a timer only
when it is shown and the series moved (or the theme changed). The charts (widgets/chart.py) downsample to their
own width and cache their rows, so a redraw a second with a full window costs about a millisecond a chart.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Static

from scaletui.errors import UserError
from scaletui.metrics.model import JobSample
from scaletui.tui.intents import whole_number
from scaletui.tui.panes.base import Pane
from scaletui.tui.screens.form import FormField, FormScreen, Linked
from scaletui.tui.theming import Palette
from scaletui.tui.widgets.chart import Chart
from scaletui.tui.widgets.chart_data import ChartData, Line, Marker, Span, decision_marks, step_marks
from scaletui.tui.widgets.chart_styles import chart_styles, line_styles, step_style
from scaletui.tui.widgets.status import fit_parts

if TYPE_CHECKING:
    from scaletui.engine.view import RunView

PLOT_WINDOW_S = 600.0
"""The plots show the last ten minutes; the engine's series keep an hour."""
EMPTY = "No metrics yet. Start the cluster (3, then s) and submit the job (j); plots appear with the first sample."
REPLAY_EMPTY = "No sample recorded yet at this time of the run."


def fmt(value: float | None, unit: str = "") -> str:
    return "missing" if value is None else f"{value:,.0f}{unit}"


def headline(sample: JobSample, width: int = 0, note: str = "") -> str:
    """Its phrases (and `note`) break between them to fit `width`, never inside one ("TMs 1 free slots" / "1")."""
    lat = sample.latency_ms
    stale = "  [stale]" if sample.stale else ""
    phrases = [
        f"rate target {fmt(sample.target_rate, '/s')} achieved {fmt(sample.achieved_rate, '/s')}",
        f"latency p50 {fmt(lat.get('p50'), 'ms')} p99 {fmt(lat.get('p99'), 'ms')}",
        f"TMs {fmt(sample.taskmanagers)} free slots {fmt(sample.free_slots)}{stale}",
        *([note] if note else []),
    ]
    return fit_parts([Text(p) for p in phrases], width, "  ").plain


class PlotsPane(Pane, can_focus=True):
    """Focusable itself (its plots are not), so its keys reach it."""

    pane_id = "plots"
    session_parts = frozenset({"strategy"})
    DEFAULT_CSS = """
    PlotsPane #headline { height: auto; padding: 0 1; }
    PlotsPane #headline.-stopped { color: $text-muted; }
    PlotsPane #scaling-line { height: auto; max-height: 3; padding: 0 1; }
    PlotsPane #scaling-line { color: $text-muted; }
    PlotsPane #scaling-params { height: auto; max-height: 1; padding: 0 1; color: $text-muted; }
    PlotsPane #scaling-params { text-wrap: nowrap; text-overflow: ellipsis; }
    PlotsPane Grid { grid-size: 2 2; height: 1fr; }
    PlotsPane #plots-empty { padding: 1 1; color: $text-muted; }
    """

    def __init__(self, view: RunView | None = None) -> None:
        super().__init__(view)
        self.plots: dict[str, Chart] = {}
        self._drawn = -1
        self._palette: Palette | None = None
        self._origin: float | None = None
        self._texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(EMPTY if self.live else REPLAY_EMPTY, id="headline")
        yield Static("", id="scaling-line")
        yield Static("", id="scaling-params")
        yield Grid(id="plot-grid")

    def engine_ready(self) -> None:
        self.set_interval(self.engine.config.refresh.plots, self._tick)

    def _tick(self) -> None:
        if not self.is_active:
            return
        self._say_headline()
        self._say("#scaling-line", self.scaling_line())
        self._say("#scaling-params", self.scaling_params())
        if self.view.series.version != self._drawn or self.palette is not self._palette:
            self.redraw()

    def _say(self, where: str, text: str) -> None:
        """Update a line only when its text changed; lay the pane out again only when its text may wrap
        differently (not when only digits changed in place, "next decision in 12s" -> "11s", as every second)."""
        before = self._texts.get(where)
        if before != text:
            self._texts[where] = text
            self.query_one(where, Static).update(text, layout=before is None or not same_shape(before, text))

    def stopped_at(self) -> float | None:
        """When the cluster stopped, while it is stopped and the plots still hold its samples: the end of the last run
        the app showed (a headless one never was), or the last sample's time; None while a cluster runs, and in a
        replay."""
        last = self.view.series.last_sample
        if not self.view.interactive or last is None or self.view.session().cluster.backend != "none":
            return None
        shown = [r for r in self.view.session().runs if not r.headless and r.ended_at]
        return max(shown, key=lambda r: r.started_at).ended_at if shown else last.ts

    def _say_headline(self) -> None:
        """The last sample's figures; once the cluster has stopped they are marked as its last values (and dimmed),
        not shown as if current, until a cluster starts again."""
        last = self.view.series.last_sample
        if last is None:
            self._say("#headline", EMPTY if self.live else REPLAY_EMPTY)
            return
        stopped = self.stopped_at()
        note = (
            f"(last values, cluster stopped at {time.strftime('%H:%M', time.localtime(stopped))})"
            if stopped is not None
            else ""
        )
        self._say("#headline", headline(last, self.query_one("#headline", Static).content_size.width, note))
        self.query_one("#headline", Static).set_class(stopped is not None, "-stopped")

    def scaling_line(self) -> str:
        """Active strategy, what it does now (rescaling, or the time to its next decision) and its last decision."""
        status = self.view.strategy_status()
        if status is None:
            if self.view.interactive and self.engine.live.run is None:
                return ""
            return "autoscaler off: press a to choose a strategy" if self.view.interactive else "autoscaler off"
        state = "paused" if status.paused else "dry-run" if status.dry_run else "on"
        if status.acting:
            since = f" for {status.acting_for:.0f}s" if status.acting_for is not None else ""
            now = f", {status.acting}{since}..."
        elif status.next_decision_in is not None:
            now = f", next decision in {status.next_decision_in:.0f}s"
        else:
            now = ""
        last = status.last_decision
        tail = f" | last: {last.reason}" if last is not None else ""
        return f"{status.strategy} {state}{now}{tail}"

    def scaling_params(self) -> str:
        """The autoscaler's parameters on one line (cut with an ellipsis when narrow; `h` shows them whole)."""
        status = self.view.strategy_status()
        return f"params: {status.settings}" if status is not None and status.settings else ""

    # --- intents ---------------------------------------------------------------------------------------------------

    def action_load_profile(self) -> None:
        from scaletui.tui.screens.load_form import load_form, load_spec

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.run_intent("changing the load", lambda: self.engine.live.set_load(load_spec(values)), "load")

        self.app.push_screen(load_form(self.view.session().job.load_profile), done)

    def action_rescale(self) -> None:
        current = self._parallelism()
        names = tuple(current) or ("expensive",)
        chosen = "expensive" if "expensive" in current else (self._bottleneck_now() or names[0])
        now = {name: str(p) for name, p in current.items()}
        fields = [
            FormField("operator", "Operator", chosen, names),
            FormField("parallelism", "Parallelism (now)", now.get(chosen, "1")),
        ]

        def wanted(values: dict[str, str]) -> int:
            """An emptied field keeps the operator's parallelism (the rescale then says there is nothing to do)."""
            return whole_number(values["parallelism"].strip() or now.get(values["operator"], ""), "parallelism")

        def check(values: dict[str, str]) -> None:
            wanted(values)

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            p = wanted(values)
            self.run_intent("rescaling", lambda: self.engine.live.rescale(values["operator"], p), group="rescale")

        title = "Set an operator's parallelism (pauses the autoscaler)"
        linked = Linked("operator", "parallelism", now)
        self.app.push_screen(FormScreen(title, fields, check=check, linked=linked), done)

    def _parallelism(self) -> dict[str, int]:
        """Each operator's parallelism now: the last sample's (what Flink runs), else the session's job record."""
        last = self.view.series.last_sample
        if last is not None and last.operators:
            live = {n: op.parallelism for n, op in last.operators.items() if op.parallelism}
            if live:
                return live
        return {op.name: op.parallelism for op in self.view.session().job.operators}

    def _bottleneck_now(self) -> str | None:
        last = self.view.series.last_sample
        return self._bottleneck(last) if last is not None else None

    def action_strategy(self) -> None:
        from scaletui.tui.screens.strategy_form import strategy_choice, strategy_form

        live = self.engine.live
        try:  # the live defaults file, read now: an edit that broke it is said, and the form stays closed
            loop, defaults = live.loop_settings(), live.loop_defaults()
        except UserError as e:
            self.scaletui.say(str(e), "error")
            return

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                chosen = strategy_choice(values, self.engine.conf_dir, defaults)
                self.run_intent(
                    "switching strategy",
                    lambda: self.engine.live.set_strategy(chosen.name, chosen.params, chosen.loop),
                    "scaling",
                )

        form = strategy_form(self.view.session().strategy, loop, defaults, self.engine.conf_dir)
        self.app.push_screen(form, done)

    def action_decisions(self) -> None:
        from scaletui.tui.screens.decisions import DecisionsScreen

        status = self.view.strategy_status()
        settings = f"{status.strategy}: {status.settings}" if status is not None and status.settings else ""
        self.app.push_screen(DecisionsScreen(self.view, lambda: self._origin, settings))

    def action_toggle_loop(self) -> None:
        self.run_intent("pausing or resuming", self.engine.live.toggle_pause, group="scaling")

    def action_toggle_dry_run(self) -> None:
        self.run_intent("toggling dry-run", self.engine.live.toggle_dry_run, group="scaling")

    def on_show(self) -> None:
        """The first frame may show this pane before the session is open: it draws once the engine is ready."""
        if self._view is not None or self.scaletui.engine_ready:
            self.redraw()

    def _build(self) -> None:
        grid = self.query_one("#plot-grid", Grid)
        for name in ("throughput", "latency", "parallelism", "busy"):
            plot = Chart(id=f"plot-{name}")
            self.plots[name] = plot
            grid.mount(plot)

    def redraw(self) -> None:
        self._say("#scaling-line", self.scaling_line())
        self._say("#scaling-params", self.scaling_params())
        series = self.view.series
        last = series.last_sample
        if last is None:
            self._origin = None
            return
        self._drawn, self._palette = series.version, self.palette
        self._say_headline()
        if not self.plots:
            self._build()
        end = last.ts
        origin = self._run_start(end)
        since = max(end - PLOT_WINDOW_S, min(origin, end - 1.0))  # the window grows from the start until full
        # A chart starts its window on a dot column's boundary at or before `since` (at most an eighth of the window
        # before it); the points from there on keep its first column whole and the same from one second to the next.
        fetch_from = since - (end - since) / 8 - 1.0
        styles = line_styles(self.palette, self.app.theme_variables)
        spans = tuple(Span(f.start, f.end) for f in series.fault_spans() if f.end is None or f.end >= since)
        decided = [Marker(at, label) for at, label in decision_marks(series.decisions_between()) if at >= since]
        stepped = [Marker(at, label, stepped=True) for at, label in step_marks(series.steps_taken_between(since))]
        markers = tuple(sorted(decided + stepped, key=lambda m: m.at))
        ops = list(series.operators)
        rates = {"target": "rate.target", "source": "rate.source"}
        bottleneck = self._bottleneck(last)
        if bottleneck is not None:
            rates[f"{bottleneck} in"] = f"op.{bottleneck}.in"
        charts = {
            "throughput": ("r/s", rates, False, None),
            "latency": ("latency ms", {q: f"latency.{q}" for q in ("p50", "p99")}, False, None),
            "parallelism": ("parallelism", {op: f"op.{op}.parallelism" for op in ops}, True, None),
            "busy": ("busy ms/s", {op: f"op.{op}.busy" for op in ops}, False, 1000.0),
        }
        shade, marker, axis = chart_styles(self.palette, self.app.theme_variables)
        step = step_style(self.palette)
        for name, (title, keys, integer, ceiling) in charts.items():
            lines = []
            for i, (label, key) in enumerate(keys.items()):
                ts, vs = series.series(key, fetch_from)
                if integer and vs and vs[-1] == vs[-1]:
                    label = f"{label} {vs[-1]:.0f}"
                lines.append(Line(label, ts, vs, styles[i % len(styles)]))
            chart = self.plots[name]
            chart.use_styles(shade, marker, axis, step)
            data = ChartData(title, tuple(lines), since, end, origin, spans, markers, integer, ceiling, series.epoch)
            chart.show(data)

    @staticmethod
    def _bottleneck(sample: JobSample) -> str | None:
        """The busiest operator that is not a source: its input is the rate the job processes."""
        busy = {n: op.busy_ms_per_s or 0.0 for n, op in sample.operators.items() if not op.is_source}
        return max(busy, key=lambda n: busy[n]) if busy else None

    def _run_start(self, end: float) -> float:
        """Time zero of the axis: the run's first sample, remembered once the series' hour has rolled past it."""
        series = self.view.series
        first = series.first_time("rate.target")
        if first is None:
            return self._origin if self._origin is not None else end
        if series.count("rate.target") < series.history_s or self._origin is None or first < self._origin:
            self._origin = first
        return self._origin


def same_shape(a: str, b: str) -> bool:
    """Whether `b` is `a` with only digits changed into digits: it takes the same cells and wraps the same."""
    return len(a) == len(b) and all(x == y or (x.isdigit() and y.isdigit()) for x, y in zip(a, b))
