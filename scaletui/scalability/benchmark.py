"""`scaletui scalability`: the demand of an experiment for each load level, found by search, written to results.

The resource amount is the parallelism of the scaled operators (by default the ones the experiment's [job] names,
else every operator of the workload job), with as many TaskManagers as their slots need; amounts run from 1 to the
experiment's guard rail (strategy.max_parallelism), capped on the simulator at the slots its nodes have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.errors import ConfigError
from scaletui.scalability.progress import TrialStart
from scaletui.scalability.report import (
    DemandPoint,
    Interruption,
    ScalabilityResult,
    demand_points,
    write_results,
)
from scaletui.scalability.search import DemandSearch, SearchKind
from scaletui.scalability.trial import TrialInterrupted, TrialResult, TrialRunner, TrialSettings, require_slo

if TYPE_CHECKING:
    from scaletui.engine import Engine
    from scaletui.engine.prepare import PreparedExperiment

WORKLOAD_OPERATORS = ("source", "parse", "expensive", "window", "sink")


@dataclass(frozen=True)
class BenchmarkPlan:
    loads: tuple[float, ...]
    search: SearchKind = "linear"
    restrict: bool = True
    operators: tuple[str, ...] = ()
    duration: float | None = None
    warmup: float = 30.0
    max_parallelism: int | None = None
    min_throughput: float = 0.95
    max_lag_slope: float = 0.0


def scaled_operators(prepared: PreparedExperiment, asked: tuple[str, ...]) -> tuple[str, ...]:
    known = WORKLOAD_OPERATORS
    chosen = asked or tuple(prepared.experiment.job.parallelism) or known
    unknown = [op for op in chosen if op not in known]
    if unknown:
        raise ConfigError(
            f"--operators names {', '.join(unknown)}, which the workload job does not have.",
            f"Pick among {', '.join(known)}.",
        )
    return chosen


def resource_limit(prepared: PreparedExperiment, asked: int | None) -> int:
    """The largest parallelism to try: the asked one, else the experiment's guard rail; the simulator's slots cap it."""
    limit = asked or min(prepared.experiment.strategy.max_parallelism, prepared.experiment.strategy.max_slots)
    if prepared.platform.platform.type == "simulator":
        nodes = prepared.platform.settings.get("nodes", 4)
        if isinstance(nodes, int) and not isinstance(nodes, bool):
            limit = min(limit, nodes * prepared.experiment.job.slots_per_taskmanager)
    return max(1, limit)


def run_benchmark(
    engine: Engine,
    prepared: PreparedExperiment,
    conf_dir: Path,
    plan: BenchmarkPlan,
    cancel: threading.Event,
    out: Path | None = None,
    progress: Callable[[str], None] = print,
    on_trial: Callable[[TrialStart], None] = lambda start: None,
) -> tuple[ScalabilityResult, Path, list[Path]]:
    """Search the demand of every load; returns the result, its directory and the files written there. Ctrl-C or
    SIGTERM (`cancel`) ends the search: the result says where (`interrupted`) and keeps what the trials showed."""
    if not plan.loads or any(load <= 0 for load in plan.loads):
        raise ConfigError("--loads expected load levels in records per second above 0, e.g. 200,400,800.")
    require_slo(prepared)
    operators = scaled_operators(prepared, plan.operators)
    limit = resource_limit(prepared, plan.max_parallelism)
    duration = plan.duration or prepared.experiment.experiment.duration
    if plan.warmup >= duration:
        raise ConfigError(
            f"the warm-up ({plan.warmup:g} s) must be shorter than each trial ({duration:g} s).",
            "Lower --warmup or raise --duration.",
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = out or engine.results_dir / engine.name / f"scalability-{prepared.name}-{stamp}"
    settings = TrialSettings(operators, duration, plan.warmup, plan.max_lag_slope, plan.min_throughput)

    def report(result: TrialResult) -> None:
        progress(f"  {result.line()}")

    def began(load: float, parallelism: int, tms: int) -> None:
        number = len(runner.results) + 1
        on_trial(TrialStart(load, parallelism, tms, number, number - 1 + search.trials_left(), duration))

    runner = TrialRunner(engine, prepared, conf_dir, out, settings, cancel, report, began)
    search = DemandSearch(
        range(1, limit + 1),
        runner,
        plan.search,
        plan.restrict,
        announce=lambda load: progress(f"load {load:g} r/s:"),
        skip=lambda load, below: progress(f"load {load:g} r/s: not tried (nothing held at {below:g} r/s)"),
    )
    progress(
        f"scalability of {prepared.name} on {prepared.platform.platform.name}: loads "
        f"{', '.join(f'{x:g}' for x in sorted(plan.loads))} r/s, parallelism 1..{limit} of {', '.join(operators)}, "
        f"{plan.search} search{' with lower-bound restriction' if plan.restrict else ''}, {duration:g} s per trial"
    )
    stop: Interruption | None = None
    try:
        search.demand(plan.loads)
    except TrialInterrupted as e:
        stop = Interruption(e.load, e.parallelism, len(runner.results) + 1, e.run_dir)
    finally:
        slots = prepared.experiment.job.slots_per_taskmanager
        cut_short, not_begun = None, tuple[float, ...]()
        if stop is not None and search.current is not None:
            more_than, at_most = search.bounds(search.current)
            cut_short = DemandPoint(search.current, None, None, None, "during", more_than, at_most)
            not_begun = tuple(x for x in sorted(set(plan.loads)) if x not in search.found and x != search.current)
        result = ScalabilityResult(
            experiment=prepared.name,
            platform=prepared.platform.platform.name,
            search=plan.search,
            restricted=plan.restrict,
            operators=operators,
            slots_per_taskmanager=slots,
            max_parallelism=limit,
            points=demand_points(search.found, slots, search.untried, cut_short, not_begun),
            trials=tuple(runner.results),
            interrupted=stop,
        )
        written = write_results(result, out)
    return result, out, written
