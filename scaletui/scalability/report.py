"""The scalability benchmark's results: the demand curve as CSV, JSON, a PNG and a report, and every trial."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from scaletui.scalability.trial import TrialResult

TRIAL_COLUMNS = ("load", "parallelism", "taskmanagers", "held", "slo_met_fraction", "throughput", "lag_slope", "why")


@dataclass(frozen=True)
class DemandPoint:
    load: float
    parallelism: int | None
    """Least parallelism holding the SLO at this load; None when none tried did."""
    taskmanagers: int | None


@dataclass(frozen=True)
class ScalabilityResult:
    experiment: str
    platform: str
    search: str
    restricted: bool
    operators: tuple[str, ...]
    slots_per_taskmanager: int
    max_parallelism: int
    points: tuple[DemandPoint, ...]
    trials: tuple[TrialResult, ...]

    def answer(self, load: float) -> str:
        point = next((p for p in self.points if p.load == load), None)
        if point is None or point.parallelism is None:
            return f"{load:g} r/s: not held by any parallelism up to {self.max_parallelism}"
        return (
            f"{load:g} r/s: parallelism {point.parallelism} of {', '.join(self.operators)} "
            f"({point.taskmanagers} TaskManager(s) of {self.slots_per_taskmanager} slots)"
        )


def demand_points(demand: dict[float, int | None], slots: int) -> tuple[DemandPoint, ...]:
    return tuple(
        DemandPoint(load, p, None if p is None else max(1, math.ceil(p / slots))) for load, p in sorted(demand.items())
    )


def write_results(result: ScalabilityResult, out: Path) -> list[Path]:
    """demand.csv, demand.json, trials.csv, demand.png and report.md in `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "demand.csv", out / "demand.json", out / "trials.csv"]
    with written[0].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["load", "parallelism", "taskmanagers"])
        for p in result.points:
            w.writerow([f"{p.load:g}", "" if p.parallelism is None else p.parallelism, p.taskmanagers or ""])
    written[1].write_text(
        json.dumps(
            {
                "metric": "demand",
                "experiment": result.experiment,
                "platform": result.platform,
                "search": result.search,
                "lower_bound_restriction": result.restricted,
                "operators": list(result.operators),
                "slots_per_taskmanager": result.slots_per_taskmanager,
                "max_parallelism": result.max_parallelism,
                "demand": [
                    {"load": p.load, "parallelism": p.parallelism, "taskmanagers": p.taskmanagers}
                    for p in result.points
                ],
                "trials": len(result.trials),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    with written[2].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(TRIAL_COLUMNS)
        for t in result.trials:
            w.writerow(
                [
                    f"{t.load:g}",
                    t.parallelism,
                    t.taskmanagers,
                    t.held,
                    _num(t.slo_met_fraction),
                    _num(t.throughput_fraction),
                    _num(t.lag_slope),
                    "; ".join(t.reasons),
                ]
            )
    png = plot_demand(result, out / "demand.png")
    if png is not None:
        written.append(png)
    report = out / "report.md"
    report.write_text(markdown(result, png), encoding="utf-8")
    written.append(report)
    return written


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def markdown(result: ScalabilityResult, png: Path | None) -> str:
    lines = [
        f"# Scalability of {result.experiment} on {result.platform}",
        "",
        "Theodolite's demand metric: for each load, the least parallelism (and the TaskManagers its slots need) "
        f"that held the experiment's SLO; {result.search} search"
        + (" with the lower-bound restriction" if result.restricted else "")
        + f", {len(result.trials)} trial(s), parallelism of {', '.join(result.operators)} from 1 to "
        f"{result.max_parallelism}.",
        "",
        "| load (r/s) | parallelism | TaskManagers |",
        "|---:|---:|---:|",
    ]
    for p in result.points:
        par = "not held" if p.parallelism is None else str(p.parallelism)
        lines.append(f"| {p.load:g} | {par} | {p.taskmanagers or '-'} |")
    if png is not None:
        lines += ["", f"![demand]({png.name})"]
    lines += ["", "## Trials", "", "| load | parallelism | held | why not |", "|---:|---:|:---:|---|"]
    for t in result.trials:
        lines.append(f"| {t.load:g} | {t.parallelism} | {'yes' if t.held else 'no'} | {'; '.join(t.reasons)} |")
    return "\n".join(lines) + "\n"


def plot_demand(result: ScalabilityResult, path: Path) -> Path | None:
    held = [p for p in result.points if p.parallelism is not None]
    if not held:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.step([p.load for p in held], [p.parallelism or 0 for p in held], where="post", marker="o", label="demand")
    missed = [p.load for p in result.points if p.parallelism is None]
    if missed:
        ax.scatter(missed, [result.max_parallelism + 0.5] * len(missed), marker="x", color="red", label="not held")
    ax.set_xlabel("load (records/s)")
    ax.set_ylabel(f"least parallelism of {', '.join(result.operators)}")
    ax.set_ylim(0, result.max_parallelism + 1)
    ax.set_title(f"demand of {result.experiment} on {result.platform} (Theodolite's demand metric)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
