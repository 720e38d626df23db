"""PNG plots of one run, and overlays of several, with fault windows shaded and decisions marked.

matplotlib is imported inside the functions and used through `Figure` (Agg canvas, no pyplot state), so it loads
only when a report is written and is safe off the main thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scaletui.results.rundata import RunData
from scaletui.results.slo import slo_latency_stat

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LATENCY_ORDER = ("p50", "p95", "p99", "p999", "max", "mean")
DECISION_COLOR = "#555555"


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


def mark_events(ax: Axes, data: RunData, color: str = "tab:red", label: bool = True) -> None:
    """Shade each fault window; mark each decision with a vertical line (applied) or a tick at the top (kept)."""
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
    for applied, bottom, alpha, name in ((True, 0.0, 0.6, "decision"), (False, 0.96, 0.8, "decision (kept)")):
        times = [float(d.get("ts", 0.0)) - data.start for d in data.decisions if bool(d.get("applied")) == applied]
        if times:
            ax.vlines(
                times,
                bottom,
                1,
                transform=ax.get_xaxis_transform(),
                colors=DECISION_COLOR,
                alpha=alpha,
                linewidth=1,
                label=name if label else "_nolegend_",
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
    ax.plot(data.t, data.target, "--", color="tab:orange", label="target")
    ax.plot(data.t, data.achieved, color="tab:blue", label="achieved")
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


def _overlay(
    runs: list[RunData], labels: list[str], title: str, ylabel: str, series: Any, path: Path, bounds: bool = False
) -> Path:
    from matplotlib import rcParams

    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = _figure(title, ylabel)
    for i, (data, label) in enumerate(zip(runs, labels)):
        color = colors[i % len(colors)]
        for suffix, values, style in series(data):
            ax.plot(data.t, values, style, color=color, label=f"{label}{suffix}")
        for window in data.fault_windows():
            ax.axvspan(window.start - data.start, window.end - data.start, color=color, alpha=0.08)
    slos = {d.slo.p99_latency_ms for d in runs if bounds and d.slo is not None and d.slo.p99_latency_ms is not None}
    for bound in sorted(slos):
        ax.axhline(bound, color="black", linestyle="--", linewidth=1, label=f"SLO bound {bound:g} ms")
    _legend(ax)
    return _save(fig, path)


def _total_parallelism(data: RunData) -> np.ndarray:
    if not data.parallelism:
        return np.full(len(data.ts), np.nan)
    stacked = np.vstack(list(data.parallelism.values()))
    return np.where(np.isnan(stacked).all(axis=0), np.nan, np.nansum(stacked, axis=0))


def plot_overlays(runs: list[RunData], labels: list[str], out_dir: Path) -> list[Path]:
    """Achieved vs target rate, SLO latency and total parallelism of every run on shared axes."""

    def throughput(d: RunData) -> list[tuple[str, np.ndarray, str]]:
        return [(" target", d.target, ":"), ("", d.achieved, "-")]

    def latency(d: RunData) -> list[tuple[str, np.ndarray, str]]:
        stat = slo_latency_stat(d)
        return [(f" {stat}", d.latency[stat], "-")] if stat else []

    def parallelism(d: RunData) -> list[tuple[str, np.ndarray, str]]:
        return [("", _total_parallelism(d), "-")]

    return [
        _overlay(
            runs, labels, "throughput (dotted: target)", "records/s", throughput, out_dir / "throughput_overlay.png"
        ),
        _overlay(runs, labels, "end-to-end latency", "ms", latency, out_dir / "latency_overlay.png", bounds=True),
        _overlay(
            runs,
            labels,
            "total parallelism (sum over operators)",
            "parallel instances",
            parallelism,
            out_dir / "parallelism_overlay.png",
        ),
    ]
