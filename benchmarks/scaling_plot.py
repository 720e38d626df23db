"""Figures for benchmarks/scaling.py: one PNG per load, and the linear model's over-trust on shared nodes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from scaletui.cluster.simulator.model import NodeSpec, SimConfig
from scaletui.events import DecisionEvent


class Run(Protocol):
    """What a plot reads of one strategy's run (scaling.py's Run; a Protocol, so this module does not import it)."""

    strategy: str
    t: list[float]
    target: list[float]
    p99: list[float | None]
    slots: list[int]
    oracle_slots: list[int]
    decisions: list[DecisionEvent]


def plot(load: str, runs: list[Run], out: Path, slo_ms: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_rate, ax_slots, ax_lat) = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    first = runs[0]
    ax_rate.plot([t / 60 for t in first.t], first.target, color="black")
    ax_rate.set_ylabel("target rate (r/s)")
    ax_slots.plot([t / 60 for t in first.t], first.oracle_slots, color="black", linewidth=3, alpha=0.4, label="oracle")
    for run in runs:
        line = ax_slots.plot([t / 60 for t in run.t], run.slots, label=run.strategy, linewidth=1)[0]
        for d in run.decisions:
            if d.applied:
                ax_slots.axvline(d.ts / 60, color=line.get_color(), alpha=0.15, linewidth=0.8)
        ax_lat.plot([t / 60 for t in run.t], [v if v is not None else float("nan") for v in run.p99], linewidth=0.8)
    ax_slots.set_ylabel("slots used")
    ax_slots.legend(fontsize=7, ncol=4)
    ax_lat.axhline(slo_ms, color="red", linestyle="--", linewidth=0.8)
    ax_lat.set_yscale("log")
    ax_lat.set_ylabel("p99 latency (ms)")
    ax_lat.set_xlabel("minutes")
    fig.suptitle(f"scaling strategies on the {load} load (simulator, decisions as vertical lines)")
    fig.tight_layout()
    path = out / f"scaling-{load}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def dedicated(config: SimConfig) -> SimConfig:
    """The same cluster with 4-core nodes: two slots per node scale linearly."""
    nodes = tuple(NodeSpec(n.name, speedup=((1.0, 1.0), (4.0, 4.0)), delay_ms=n.delay_ms) for n in config.nodes)
    return replace(config, nodes=nodes)
