"""The scalability benchmark's results: the demand curve as CSV, JSON, a PNG and a report, and every trial."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scaletui.scalability.trial import TrialResult
from scaletui.wording import counted

TRIAL_COLUMNS = ("load", "parallelism", "taskmanagers", "held", "slo_met_fraction", "throughput", "lag_slope", "why")


@dataclass(frozen=True)
class DemandPoint:
    load: float
    parallelism: int | None
    """Least parallelism holding the SLO at this load; None when none tried did, or none was tried."""
    taskmanagers: int | None
    nothing_held_at: float | None = None
    """Set when the load was not tried: the lower load nothing held at (the lower-bound restriction)."""
    interrupted: Literal["", "during", "before"] = ""
    """The benchmark was interrupted during this load's search, or before it began."""
    more_than: int | None = None
    at_most: int | None = None
    """For a search interrupted: what its trials showed (the most that failed, the least that held)."""

    @property
    def status(self) -> str:
        """held, not held (no parallelism tried held the SLO), interrupted (its search cut short) or not tried."""
        if self.parallelism is not None:
            return "held"
        if self.interrupted == "during":
            return "interrupted"
        return "not tried" if self.nothing_held_at is not None or self.interrupted else "not held"

    @property
    def why_not_tried(self) -> str:
        if self.interrupted == "before":
            return "the benchmark was interrupted first"
        return "" if self.nothing_held_at is None else f"nothing held at {self.nothing_held_at:g} r/s"

    @property
    def known(self) -> str:
        """What an interrupted search showed: `at most 2`, `more than 1`, `more than 2, at most 4`."""
        parts = [] if self.more_than is None else [f"more than {self.more_than}"]
        parts += [] if self.at_most is None else [f"at most {self.at_most}"]
        return f"{', '.join(parts) or 'not known'} (search interrupted)"

    @property
    def why(self) -> str:
        """The demand.csv `why` column: why a load has no demand."""
        return self.known if self.status == "interrupted" else self.why_not_tried


@dataclass(frozen=True)
class Interruption:
    """Where Ctrl-C or SIGTERM stopped the benchmark."""

    load: float
    parallelism: int
    trial: int
    """The number of the trial interrupted (1 for the first), or the one about to begin."""
    run_dir: Path | None
    """The interrupted trial's run, with its partial results; None when it had not begun."""

    def line(self) -> str:
        return f"Interrupted at load {self.load:g} r/s, parallelism {self.parallelism} (trial {self.trial})"


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
    interrupted: Interruption | None = None

    def answer(self, load: float) -> str:
        point = next((p for p in self.points if p.load == load), None)
        if point is not None and point.status == "not tried":
            return f"{load:g} r/s: not tried ({point.why_not_tried})"
        if point is not None and point.status == "interrupted":
            return f"{load:g} r/s: {point.known}"
        if point is None or point.parallelism is None:
            return f"{load:g} r/s: not held by any parallelism up to {self.max_parallelism}"
        taskmanagers = counted(tms(point.parallelism, self.slots_per_taskmanager), "TaskManager")
        slots = counted(self.slots_per_taskmanager, "slot")
        operators = ", ".join(self.operators)
        return f"{load:g} r/s: parallelism {point.parallelism} of {operators} ({taskmanagers} of {slots})"

    def loads(self, status: str) -> list[float]:
        return [p.load for p in self.points if p.status == status]


def demand_points(
    demand: dict[float, int | None],
    slots: int,
    untried: dict[float, float] | None = None,
    cut_short: DemandPoint | None = None,
    not_begun: tuple[float, ...] = (),
) -> tuple[DemandPoint, ...]:
    """`untried`: load -> the lower load nothing held at, for the loads the search skipped; `cut_short`: the load
    whose search was interrupted, and `not_begun` the loads after it."""
    untried = untried or {}
    points = [
        DemandPoint(load, p, None if p is None else tms(p, slots), untried.get(load)) for load, p in demand.items()
    ]
    points += [cut_short] if cut_short is not None else []
    points += [DemandPoint(load, None, None, interrupted="before") for load in not_begun]
    return tuple(sorted(points, key=lambda p: p.load))


def tms(parallelism: int, slots: int) -> int:
    """The TaskManagers a parallelism's slots need."""
    return max(1, math.ceil(parallelism / slots))


def write_results(result: ScalabilityResult, out: Path) -> list[Path]:
    """demand.csv, demand.json, trials.csv, demand.png and report.md in `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "demand.csv", out / "demand.json", out / "trials.csv"]
    stop = result.interrupted
    with written[0].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["load", "parallelism", "taskmanagers", "status", "why", "at_most"])
        for p in result.points:
            par = "" if p.parallelism is None else p.parallelism
            w.writerow([f"{p.load:g}", par, p.taskmanagers or "", p.status, p.why, p.at_most or ""])
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
                "interrupted": None
                if stop is None
                else {"load": stop.load, "parallelism": stop.parallelism, "trial": stop.trial},
                "demand": [
                    {
                        "load": p.load,
                        "parallelism": p.parallelism,
                        "taskmanagers": p.taskmanagers,
                        "status": p.status,
                        "nothing_held_at": p.nothing_held_at,
                        "more_than": p.more_than,
                        "at_most": p.at_most,
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
    report.write_text(markdown(result, png, out), encoding="utf-8")
    written.append(report)
    return written


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def markdown(result: ScalabilityResult, png: Path | None, out: Path) -> str:
    lines = [
        f"# Scalability of {result.experiment} on {result.platform}",
        "",
        "Theodolite's demand metric: for each load, the least parallelism (and the TaskManagers its slots need) "
        f"that held the experiment's SLO; {result.search} search"
        + (" with the lower-bound restriction" if result.restricted else "")
        + f", {counted(len(result.trials), 'trial')}, parallelism of {', '.join(result.operators)} from 1 to "
        f"{result.max_parallelism}.",
        "",
        *interruption(result, out),
        "| load (r/s) | parallelism | TaskManagers |",
        "|---:|---:|---:|",
    ]
    for p in result.points:
        par = {
            "held": str(p.parallelism),
            "not held": f"not held up to {result.max_parallelism}",
            "interrupted": p.known,
        }.get(p.status, f"not tried ({p.why_not_tried})")
        managers = p.taskmanagers or (f"at most {tms(p.at_most, result.slots_per_taskmanager)}" if p.at_most else "-")
        lines.append(f"| {p.load:g} | {par} | {managers} |")
    if png is not None:
        lines += ["", f"![demand]({png.name})"]
    lines += ["", "## Trials", "", "| load | parallelism | held | why not |", "|---:|---:|:---:|---|"]
    for t in result.trials:
        lines.append(f"| {t.load:g} | {t.parallelism} | {'yes' if t.held else 'no'} | {'; '.join(t.reasons)} |")
    return "\n".join(lines) + "\n"


def interruption(result: ScalabilityResult, out: Path) -> list[str]:
    """The report's paragraph on an interrupted benchmark: where it stopped, what it left untried."""
    stop = result.interrupted
    if stop is None:
        return []
    untried = result.loads("not tried")
    said = [
        f"**{stop.line()}** (Ctrl-C or SIGTERM): the table gives what the trials before it showed"
        + (f"; loads {', '.join(f'{x:g}' for x in untried)} r/s not tried." if untried else "."),
    ]
    if stop.run_dir is not None:
        run = stop.run_dir.relative_to(out) if stop.run_dir.is_relative_to(out) else stop.run_dir
        said.append(f"The interrupted trial's partial run is in {run}; it is not among the trials below.")
    return [" ".join(said), ""]


def plot_demand(result: ScalabilityResult, path: Path) -> Path | None:
    held = [p for p in result.points if p.parallelism is not None]
    cut = [p for p in result.points if p.at_most is not None]
    if not held and not cut:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if held:
        ax.step([p.load for p in held], [p.parallelism or 0 for p in held], where="post", marker="o", label="demand")
    if cut:
        ax.scatter([p.load for p in cut], [p.at_most or 0 for p in cut], marker="v", label="at most (interrupted)")
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
    what = "interrupted: what its trials showed" if result.interrupted else "Theodolite's demand metric"
    ax.set_title(f"demand of {result.experiment} on {result.platform} ({what})")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
