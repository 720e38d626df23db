"""PNG plots of one run, and overlays of several, with fault windows shaded and decisions marked.

matplotlib is imported inside the functions and used through `Figure` (Agg canvas, no pyplot state), so it loads
only when a report is written and is safe off the main thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scaletui.events import StepTaken
from scaletui.results.decision_rows import STEP_LEGEND
from scaletui.results.playback import events_of
from scaletui.results.rundata import RunData
from scaletui.results.slo import slo_latency_stat

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LATENCY_ORDER = ("p50", "p95", "p99", "p999", "max", "mean")
DECISION_COLOR = "#7b3fa0"
"""An applied decision: a purple line across the axes (the themes' decision colour)."""
KEPT_COLOR = "#9e9e9e"
"""A decision that kept the parallelism: a grey tick along the top."""
STEP_COLOR = "#1b9e77"
"""A rescale or TaskManager change by hand or by the experiment file's timeline: a dash-dotted teal line."""


def _figure(title: str, ylabel: str) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def step_changes(data: RunData) -> list[float]:
    """When each step that changed the job (by hand or by the timeline) was asked for."""
    steps = events_of(data.records("StepTaken"), StepTaken)
    return [s.ts - data.start for s in steps if s.changes_job]


def mark_events(ax: Axes, data: RunData, color: str = "tab:red", label: bool = True) -> None:
    """Shade each fault window; mark each decision with a vertical line (applied) or a tick at the top (kept), and
    each step that changed the job (by hand or by the file) with a line of its own."""
    for i, window in enumerate(data.fault_windows()):
        ax.axvspan(
            window.start - data.start,
            window.end - data.start,
            color=color,
            alpha=0.12,
            label=f"fault ({window.kind})" if label and i == 0 else None,
        )
    # Applied decisions span the axes; the others are ticks along the top. One collection each, not a line per
    # decision: a long run has hundreds.
    for applied, bottom, colour, alpha, name in ((True, 0.0, DECISION_COLOR, 0.6, "decision"),
                                                 (False, 0.96, KEPT_COLOR, 0.9, "decision (kept)")):  # fmt: skip
        times = [float(d.get("ts", 0.0)) - data.start for d in data.decisions if bool(d.get("applied")) == applied]
        _vlines(ax, times, bottom, colour, alpha, name if label else "_nolegend_")
    _vlines(ax, step_changes(data), 0.0, STEP_COLOR, 0.9, STEP_LEGEND if label else "_nolegend_", dashed=True)


def _vlines(
    ax: Axes, times: list[float], bottom: float, colour: str, alpha: float, name: str, *, dashed: bool = False
) -> None:
    if times:
        ax.vlines(
            times,
            bottom,
            1,
            transform=ax.get_xaxis_transform(),
            colors=colour,
            linestyles="-." if dashed else "-",
            alpha=alpha,
            linewidth=1.2 if dashed else 1,
            label=name,
        )


def _legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _title(data: RunData, what: str) -> str:
    return f"{what} — {data.name} ({data.strategy}) {data.run_id}"


def plot_run(data: RunData, out_dir: Path) -> list[Path]:
    """throughput.png, latency.png, parallelism.png (and resources.png with node telemetry) in `out_dir`."""
    from matplotlib.ticker import MaxNLocator

    written = []
    fig, ax = _figure(_title(data, "throughput"), "records/s")
    # achieved first and partly see-through, the target over it: a run that met its target hid the target
    ax.plot(data.t, data.achieved, color="tab:blue", alpha=0.7, label="achieved", zorder=2)
    ax.plot(data.t, data.target, "--", color="tab:orange", linewidth=1.5, label="target", zorder=3)
    mark_events(ax, data)
    _legend(ax)
    written.append(_save(fig, out_dir / "throughput.png"))

    fig, ax = _figure(_title(data, "end-to-end latency"), "ms")
    for stat in sorted(data.latency, key=lambda s: (LATENCY_ORDER.index(s) if s in LATENCY_ORDER else 99, s)):
        ax.plot(data.t, data.latency[stat], label=stat)
    slo = data.slo
    if slo is not None and slo.p99_latency_ms is not None:
        ax.axhline(slo.p99_latency_ms, color="black", linestyle="--", linewidth=1, label="SLO bound")
    mark_events(ax, data)
    _legend(ax)
    written.append(_save(fig, out_dir / "latency.png"))

    fig, ax = _figure(_title(data, "parallelism"), "parallel instances")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for op, series in data.parallelism.items():
        ax.step(data.t, series, where="post", label=op)
    if not np.isnan(data.taskmanagers).all():
        ax.step(data.t, data.taskmanagers, where="post", color="black", linestyle="--", label="TaskManagers")
    mark_events(ax, data)
    _legend(ax)
    written.append(_save(fig, out_dir / "parallelism.png"))

    if data.nodes:
        fig, ax = _figure(_title(data, "CPU per node"), "cores")
        for node, usage in data.nodes.items():
            ax.plot(usage.ts - data.start, usage.cpu_cores, label=node)
        mark_events(ax, data)
        _legend(ax)
        written.append(_save(fig, out_dir / "resources.png"))
    return written


OVERLAY_LINESTYLES = ("-", "--", "-.")
"""A run's line style, each taken with the 10 colours in turn, so up to 30 runs look different; dotted is left to
the targets."""
LEGEND_BESIDE = 10
"""Legend entries that fit beside the axes; more go below in columns, and the figure grows to hold them."""


def overlay_styles(n: int) -> list[tuple[str, str]]:
    """(colour, line style) of each of `n` runs: the colour cycle alone repeats after 10."""
    from matplotlib import rcParams

    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    return [(colors[i % len(colors)], OVERLAY_LINESTYLES[i // len(colors) % len(OVERLAY_LINESTYLES)]) for i in range(n)]


def _letters_text(indices: list[int], letters: list[str]) -> str:
    """`A–C F`: consecutive runs as a range, so a target several runs share keeps a short label."""
    groups: list[list[int]] = []
    for i in indices:
        if groups and groups[-1][-1] == i - 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    return " ".join(
        letters[g[0]] if len(g) == 1 else f"{letters[g[0]]}{'–' if len(g) > 2 else ' '}{letters[g[-1]]}" for g in groups
    )


def _target_key(data: RunData) -> tuple[tuple[int, float], ...]:
    """The target's steps (second, rate) over the job: runs with the same steps share one target line."""
    known = data.job_steps() & ~np.isnan(data.target)
    t, target = data.t[known], data.target[known]
    steps = np.concatenate(([True], np.diff(target) != 0)) if len(target) else np.zeros(0, dtype=bool)
    return tuple((round(float(at)), round(float(rate), 1)) for at, rate in zip(t[steps], target[steps]))


def _plot_targets(ax: Axes, runs: list[RunData], letters: list[str]) -> None:
    """One dotted black line per distinct target, not one per run, and one legend entry; when the runs' targets
    differ, each line says after its end whose it is (`B C`): a colour of its own would pass for a run's."""
    groups: dict[tuple[tuple[int, float], ...], list[int]] = {}
    for i, data in enumerate(runs):
        key = _target_key(data)
        if key:
            groups.setdefault(key, []).append(i)
    for n, members in enumerate(groups.values()):
        longest = runs[max(members, key=lambda i: runs[i].duration)]
        label = "_nolegend_" if n else "target"
        # over the runs' lines (zorder 2), which hide it wherever a run meets its target
        ax.plot(longest.t, longest.target, ":", color="black", linewidth=1, label=label, zorder=3)
        if len(groups) > 1:
            known = longest.job_steps() & ~np.isnan(longest.target)
            end = (float(longest.t[known][-1]), float(longest.target[known][-1]))
            ax.annotate(
                _letters_text(members, letters),
                end,
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            )


def _overlay_legend(fig: Figure, ax: Axes) -> None:
    """Beside the axes while it fits; below them in columns otherwise, the figure taller by the legend's rows, so
    the plot keeps its height and no entry is cut off."""
    handles, texts = ax.get_legend_handles_labels()
    if len(handles) <= LEGEND_BESIDE:
        _legend(ax)
        return
    column = 0.07 * max(len(text) for text in texts) + 0.6  # inches: a fontsize-8 label and its line sample
    ncols = max(1, min(len(handles), int(fig.get_figwidth() * 0.95 // column)))
    rows = -(-len(handles) // ncols)
    fig.set_figheight(fig.get_figheight() + 0.2 * rows + 0.25)
    fig.legend(handles, texts, loc="outside lower center", ncols=ncols, fontsize=8)


def _overlay(
    runs: list[RunData],
    letters: list[str],
    labels: list[str],
    title: str,
    ylabel: str,
    series: Any,
    *,
    targets: bool = False,
    bounds: bool = False,
) -> Figure:
    fig, ax = _figure(title, ylabel)
    if targets:
        _plot_targets(ax, runs, letters)
    for data, label, (color, linestyle) in zip(runs, labels, overlay_styles(len(runs))):
        for suffix, values in series(data):
            ax.plot(data.t, values, linestyle=linestyle, color=color, label=f"{label}{suffix}")
        for window in data.fault_windows():
            ax.axvspan(window.start - data.start, window.end - data.start, color=color, alpha=0.08)
    slos = {d.slo.p99_latency_ms for d in runs if bounds and d.slo is not None and d.slo.p99_latency_ms is not None}
    for bound in sorted(slos):
        ax.axhline(bound, color="black", linestyle="--", linewidth=1, label=f"SLO bound {bound:g} ms")
    _overlay_legend(fig, ax)
    return fig


def _total_parallelism(data: RunData) -> np.ndarray:
    if not data.parallelism:
        return np.full(len(data.ts), np.nan)
    stacked = np.vstack(list(data.parallelism.values()))
    return np.where(np.isnan(stacked).all(axis=0), np.nan, np.nansum(stacked, axis=0))


def overlay_figures(runs: list[RunData], letters: list[str], labels: list[str]) -> dict[str, Figure]:
    """Achieved vs target rate, SLO latency and total parallelism of every run on shared axes, by file name."""
    stats = {slo_latency_stat(d) for d in runs}
    common = stats.pop() if len(stats) == 1 else None  # one statistic for all: said once, in the title

    def throughput(d: RunData) -> list[tuple[str, np.ndarray]]:
        return [("", d.achieved)]

    def latency(d: RunData) -> list[tuple[str, np.ndarray]]:
        stat = slo_latency_stat(d)
        return [("" if common else f" {stat}", d.latency[stat])] if stat else []

    def parallelism(d: RunData) -> list[tuple[str, np.ndarray]]:
        return [("", _total_parallelism(d))]

    latency_title = f"end-to-end latency ({common})" if common else "end-to-end latency"
    return {
        "throughput_overlay.png": _overlay(
            runs, letters, labels, "throughput (dotted: target)", "records/s", throughput, targets=True
        ),
        "latency_overlay.png": _overlay(runs, letters, labels, latency_title, "ms", latency, bounds=True),
        "parallelism_overlay.png": _overlay(
            runs, letters, labels, "total parallelism (sum over operators)", "parallel instances", parallelism
        ),
    }


def plot_overlays(runs: list[RunData], letters: list[str], labels: list[str], out_dir: Path) -> list[Path]:
    """The overlay figures as PNGs in `out_dir`."""
    return [_save(fig, out_dir / name) for name, fig in overlay_figures(runs, letters, labels).items()]
