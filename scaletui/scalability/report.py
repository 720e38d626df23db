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
    """Least parallelism holding the SLO at this load; None when none tried did, or none was tried."""
    taskmanagers: int | None
    nothing_held_at: float | None = None
    """Set when the load was not tried: the lower load nothing held at (the lower-bound restriction)."""

    @property
    def status(self) -> str:
        """held, not held (no parallelism tried held the SLO) or not tried."""
        if self.parallelism is not None:
            return "held"
        return "not tried" if self.nothing_held_at is not None else "not held"

    @property
    def why_not_tried(self) -> str:
        return "" if self.nothing_held_at is None else f"nothing held at {self.nothing_held_at:g} r/s"


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
        if point is not None and point.status == "not tried":
            return f"{load:g} r/s: not tried ({point.why_not_tried})"
        if point is None or point.parallelism is None:
            return f"{load:g} r/s: not held by any parallelism up to {self.max_parallelism}"
        return (
            f"{load:g} r/s: parallelism {point.parallelism} of {', '.join(self.operators)} "
            f"({point.taskmanagers} TaskManager(s) of {self.slots_per_taskmanager} slots)"
        )


def demand_points(
    demand: dict[float, int | None], slots: int, untried: dict[float, float] | None = None
) -> tuple[DemandPoint, ...]:
    """`untried`: load -> the lower load nothing held at, for the loads the search skipped."""
    untried = untried or {}
    return tuple(
        DemandPoint(load, p, None if p is None else max(1, math.ceil(p / slots)), untried.get(load))
        for load, p in sorted(demand.items())
    )


def write_results(result: ScalabilityResult, out: Path) -> list[Path]:
    """demand.csv, demand.json, trials.csv, demand.png and report.md in `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "demand.csv", out / "demand.json", out / "trials.csv"]
    with written[0].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["load", "parallelism", "taskmanagers", "status", "why"])
        for p in result.points:
            par = "" if p.parallelism is None else p.parallelism
            w.writerow([f"{p.load:g}", par, p.taskmanagers or "", p.status, p.why_not_tried])
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
                    {
                        "load": p.load,
                        "parallelism": p.parallelism,
                        "taskmanagers": p.taskmanagers,
                        "status": p.status,
                        "nothing_held_at": p.nothing_held_at,
                    }
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
        par = {"held": str(p.parallelism), "not held": f"not held up to {result.max_parallelism}"}.get(
            p.status, f"not tried ({p.why_not_tried})"
        )
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
    missed = [p.load for p in result.points if p.status == "not held"]
    if missed:
        ax.scatter(missed, [result.max_parallelism + 0.5] * len(missed), marker="x", color="red", label="not held")
    untried = [p.load for p in result.points if p.status == "not tried"]
    if untried:
        top = [result.max_parallelism + 0.5] * len(untried)
        ax.scatter(untried, top, marker="o", facecolors="none", edgecolors="grey", label="not tried")
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
