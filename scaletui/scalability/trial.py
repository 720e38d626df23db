"""One SLO experiment of the scalability benchmark: the user's experiment at a constant load with fixed resources.

The variant keeps the experiment's platform, job, stages and [slo]; it replaces the load by a constant rate, the
parallelism of the scaled operators by the resource amount (TaskManagers follow the slots), turns autoscaling
off and drops faults, and runs for the trial's duration. It is written as a TOML file beside the results and run
through the engine like any experiment file, so every trial is an ordinary run with its own results directory.

A trial holds when the run meets the experiment's SLO and, after the warm-up, (Theodolite's lag-trend SLO) the
source backlog does not grow faster than `max_lag_slope` records/s where a backlog is measured, and the achieved
rate is at least `min_throughput` of the target (the local generator drops what it cannot send, so its
shortfall shows there instead of as backlog).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaletui.errors import Cancelled, ConfigError, UserError
from scaletui.results.layout import trial_name

if TYPE_CHECKING:
    from scaletui.engine import Engine
    from scaletui.engine.prepare import PreparedExperiment


@dataclass(frozen=True)
class TrialSettings:
    operators: tuple[str, ...]
    duration: float
    warmup: float = 30.0
    max_lag_slope: float = 0.0
    """Records/s the backlog may grow by after the warm-up (Theodolite's lag trend); 0 derives 1 % of the load."""
    min_throughput: float = 0.95


@dataclass(frozen=True)
class TrialResult:
    load: float
    parallelism: int
    taskmanagers: int
    held: bool
    reasons: tuple[str, ...]
    results_dir: Path | None
    slo_met_fraction: float | None = None
    throughput_fraction: float | None = None
    lag_slope: float | None = None
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        verdict = "holds" if self.held else "fails"
        parts = [f"load {self.load:g} r/s, parallelism {self.parallelism} ({self.taskmanagers} TM): {verdict}"]
        if self.reasons:
            parts.append("; ".join(self.reasons))
        return " - ".join(parts) + f" [{self.wall_s:.0f} s]"


class TrialInterrupted(Cancelled):
    """Ctrl-C or SIGTERM stopped the benchmark at this trial (or before it began): the search ends there."""

    def __init__(self, load: float, parallelism: int, run_dir: Path | None) -> None:
        super().__init__("The scalability benchmark was interrupted.")
        self.load = load
        self.parallelism = parallelism
        self.run_dir = run_dir
        """The interrupted trial's run (its partial results), None when it had not begun."""


def require_slo(prepared: PreparedExperiment) -> None:
    if prepared.experiment.slo is None:
        raise ConfigError(
            f"{prepared.path}: the experiment has no [slo] table, and the scalability benchmark needs the SLO each "
            "load must hold.",
            "Add [slo] with p99_latency_ms (and min_fraction) to the experiment file.",
        )


def variant_document(prepared: PreparedExperiment, load: float, parallelism: int, settings: TrialSettings) -> dict:
    """The experiment file of one trial, as a TOML-ready dict."""
    exp = prepared.experiment
    require_slo(prepared)
    slots = exp.job.slots_per_taskmanager
    doc = exp.model_dump(mode="json", exclude_none=True)
    doc["experiment"].update(
        name=trial_name(exp.experiment.name, load, parallelism),
        description=f"Scalability trial of {exp.experiment.name}: {load:g} r/s at parallelism {parallelism}.",
        duration=settings.duration,
        teardown="stop",
    )
    doc["job"]["parallelism"] = {**exp.job.parallelism, **{op: parallelism for op in settings.operators}}
    doc["job"]["taskmanagers"] = max(1, math.ceil(parallelism / slots))
    doc["load"] = {"profile": "constant", "rate": load}
    doc["strategy"] = {"name": "none"}
    doc["faults"] = []
    return doc


class TrialRunner:
    """`runner(load, parallelism) -> bool`, for `DemandSearch`; every result also goes to `on_result`."""

    def __init__(
        self,
        engine: Engine,
        prepared: PreparedExperiment,
        conf_dir: Path,
        out_dir: Path,
        settings: TrialSettings,
        cancel: threading.Event,
        on_result: Callable[[TrialResult], None] | None = None,
        on_start: Callable[[float, int, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.prepared = prepared
        self.conf_dir = conf_dir
        self.out_dir = out_dir
        self.settings = settings
        self.cancel = cancel
        self.on_result = on_result
        self.on_start = on_start
        """Called with (load, parallelism, TaskManagers) as a trial begins (progress on the terminal)."""
        self.results: list[TrialResult] = []

    def __call__(self, load: float, parallelism: int) -> bool:
        result = self.run(load, parallelism)
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)
        return result.held

    def run(self, load: float, parallelism: int) -> TrialResult:
        import tomli_w

        from scaletui.engine.experiment import ExperimentRun
        from scaletui.engine.prepare import prepare_experiment

        if self.cancel.is_set():
            raise TrialInterrupted(load, parallelism, None)
        doc = variant_document(self.prepared, load, parallelism, self.settings)
        path = self.out_dir / "trials" / f"load-{load:g}-p{parallelism}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
        variant = prepare_experiment(path, self.conf_dir)
        if self.on_start is not None:
            self.on_start(load, parallelism, doc["job"]["taskmanagers"])
        started = time.monotonic()
        outcome = ExperimentRun(self.engine.ctx, variant, self.out_dir / "runs").execute(self.cancel)
        wall = time.monotonic() - started
        if outcome.status == "interrupted" or self.cancel.is_set():  # a trial cut short says nothing of its load
            raise TrialInterrupted(load, parallelism, outcome.results_dir)
        slo = outcome.summary
        if outcome.status != "done" and slo.get("passed", True) and not slo.get("not_judged"):
            raise UserError(
                f"The trial at {load:g} r/s and parallelism {parallelism} failed: {outcome.message}",
                f"See {outcome.results_dir} for the run's log and results.",
            )
        return self._judge(load, parallelism, doc["job"]["taskmanagers"], outcome.results_dir, slo, wall)

    def _judge(
        self, load: float, parallelism: int, tms: int, run_dir: Path | None, slo: dict[str, Any], wall: float
    ) -> TrialResult:
        reasons = list(slo.get("reasons") or [])
        if slo.get("not_judged"):  # the job failed under the load: that level is not held at this parallelism
            reasons.append(f"the run did not go to its end ({slo['not_judged']})")
        throughput = lag = None
        if run_dir is not None:
            throughput, lag = after_warmup(run_dir, self.settings.warmup)
        limit = self.settings.max_lag_slope or 0.01 * load
        if lag is not None and lag > limit:
            reasons.append(f"the backlog grew by {lag:.1f} records/s after the warm-up (at most {limit:.1f})")
        if throughput is not None and throughput < self.settings.min_throughput:
            reasons.append(
                f"the achieved rate was {throughput:.1%} of the target after the warm-up "
                f"(at least {self.settings.min_throughput:.0%})"
            )
        return TrialResult(
            load=load,
            parallelism=parallelism,
            taskmanagers=tms,
            held=not reasons,
            reasons=tuple(reasons),
            results_dir=run_dir,
            slo_met_fraction=slo.get("met_fraction"),
            throughput_fraction=throughput,
            lag_slope=lag,
            wall_s=wall,
        )


def after_warmup(run_dir: Path, warmup: float) -> tuple[float | None, float | None]:
    """(achieved over target rate, backlog slope in records/s) over the run after `warmup` seconds."""
    import numpy as np

    from scaletui.results.rundata import load_run

    data = load_run(run_dir)
    if not len(data.ts):
        return None, None
    keep = data.ts >= data.ts[0] + warmup
    both = keep & ~np.isnan(data.target) & ~np.isnan(data.achieved)
    wanted = float(data.target[both].sum())
    throughput = float(data.achieved[both].sum()) / wanted if wanted > 0 else None
    lagged = keep & ~np.isnan(data.backlog)
    lag = None
    if int(lagged.sum()) >= 5:
        lag = float(np.polyfit(data.ts[lagged] - data.ts[lagged][0], data.backlog[lagged], 1)[0])
    return throughput, lag
