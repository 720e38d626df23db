"""The app's live session: an open-ended run of the reserved platform (else local Flink), started and stopped by key.

It is the same `ExperimentRun` a `--script` file runs, with no end and the job submitted by key; every intent a
user sends goes to the run loop, which applies it at its next step and records it, so the session leaves a results
directory whose `experiment.toml` replays it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scaletui.config.loader import load_experiment, load_platform
from scaletui.config.models import (
    LIVE_EXPERIMENT,
    CancelJobStep,
    DryRunStep,
    Experiment,
    ExperimentInfo,
    FaultStep,
    LoadSpec,
    LoadStep,
    PauseStep,
    RescaleStep,
    ResumeStep,
    RevertStep,
    StrategySpec,
    StrategyStep,
    SubmitStep,
    TaskManagersStep,
    TimelineStep,
)
from scaletui.engine.context import EngineContext
from scaletui.engine.experiment import ExperimentRun, RunResult
from scaletui.engine.prepare import PreparedExperiment
from scaletui.errors import Cancelled, ConfigError, UserError
from scaletui.events import USER_PAUSE, StrategyChanged

if TYPE_CHECKING:
    from scaletui.engine.run import Run
    from scaletui.scaling.status import ControllerStatus

log = logging.getLogger(__name__)
STILL_STOPPING = "The cluster is still stopping (see the log)."
STOP_WAIT_S = 240.0
"""The longest `stop` waits for the run to end: a rescale under way gets STOPPED_WAIT_S, then the teardown stops the
cluster (each process a SIGTERM, then a SIGKILL after its grace) and writes the run's report."""


class LiveSession:
    def __init__(self, ctx: EngineContext, forget_loop: Callable[[Collection[str]], None]) -> None:
        """`forget_loop` drops loop settings from those the session keeps (`SessionReducer.forget_loop`)."""
        self.ctx = ctx
        self.forget_loop = forget_loop
        self.experiment: ExperimentRun | None = None
        self.result: RunResult | None = None
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._taskmanagers_asked: int | None = None
        """The count a `+`/`-` still on its way asked for: the next press counts from it, not from the instances."""

    # --- what the faces read -------------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        exp = self.experiment
        return exp is not None and exp.run is not None and self._thread is not None and self._thread.is_alive()

    @property
    def run(self) -> Run | None:
        """The run intents go to: this live session's, or an experiment started from the Runs screen."""
        active = self.ctx.runs.active
        return active.run if isinstance(active, ExperimentRun) else None

    def strategy_status(self) -> ControllerStatus | None:
        run = self.run
        return run.strategy_status() if run is not None else None

    def _require(self) -> Run:
        """The active run; a key pressed while the cluster is still starting waits for it rather than failing."""
        starting = self.experiment
        if starting is not None and not starting.ready.is_set():
            starting.ready.wait()
        run = self.run
        if run is None:
            raise UserError("No cluster is running.", "Press s in the Pods pane to start one.")
        return run

    # --- start and stop ------------------------------------------------------------------------------------------

    def start(
        self,
        platform_name: str | None = None,
        cancel: threading.Event | None = None,
        recovery: Literal["adopt", "stop"] = "stop",
    ) -> str:
        """Open the platform (the reserved one, else local Flink) and run until `stop` (or `cancel`)."""
        with self._lock:
            if self.is_open:
                return "The cluster is already running."
            self.ctx.runs.check_free()
            name = platform_name or self._reserved_platform() or "local"
            prepared = self._prepare(name)
            was_paused = self.ctx.store.read(
                lambda s: s.strategy.paused and s.strategy.pause_reason in ("", USER_PAUSE)
            )
            self._cancel = cancel or threading.Event()
            experiment = ExperimentRun(self.ctx, prepared, live=True, recovery=recovery)
            self.experiment, self.result = experiment, None
            self._thread = threading.Thread(target=self._execute, args=(experiment,), name="live-run", daemon=True)
            self._thread.start()
        experiment.ready.wait()
        if not self.is_open:
            self._thread.join(timeout=STOP_WAIT_S)
            result = self.result
            if result is not None and result.status == "interrupted":
                raise Cancelled(result.message)
            raise UserError(result.message if result is not None else "The cluster could not start.")
        run = experiment.run
        if run is not None and run.autoscaler.controller is not None and was_paused:
            self.do(PauseStep(do="pause"))
        caps = experiment.caps
        gaps = f" This platform has {'; '.join(caps.missing())}." if caps is not None and caps.missing() else ""
        opened = "adopted (a crashed scaletui left it running)" if caps is not None and caps.adopted else "started"
        return f"Cluster on {name} {opened}; recording to {experiment.results_dir}.{gaps}"

    def _execute(self, experiment: ExperimentRun) -> None:
        try:
            self.result = experiment.execute(self._cancel)
        except Exception as e:  # execute reports run errors itself; this guards the thread
            log.exception("the live run failed")
            self.result = RunResult("failed", 1, experiment.results_dir, f"The live run failed: {e}.")

    def stop(self) -> str:
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return "No cluster is running."
            self._cancel.set()
            if self.experiment is not None and self.experiment.run is not None:
                self.experiment.run.stop()
        thread.join(timeout=STOP_WAIT_S)
        if thread.is_alive():
            return STILL_STOPPING
        where = self.result.results_dir if self.result is not None else None
        return f"Cluster stopped. The session is recorded in {where}." if where else "Cluster stopped."

    # --- intents -------------------------------------------------------------------------------------------------

    def do(self, step: TimelineStep) -> str:
        """Apply one intent at the run loop's next step and wait for what it says; a strategy chosen while no cluster
        runs or starts is kept for the next one (`_keep_strategy`)."""
        if isinstance(step, StrategyStep):
            with self._lock:  # a start takes the lock to read the session's strategy: this one, or it waits for it
                starting = self.experiment is not None and not self.experiment.ready.is_set()
                if self.run is None and not starting:
                    return self._keep_strategy(step)
        return self._require().submit(step).result()

    def _keep_strategy(self, step: StrategyStep) -> str:
        """The strategy, its parameters and loop settings, checked as a running loop checks them
        (`Autoscaler.choose`: nothing is kept when any of it is refused), become the session's, which the next
        cluster starts with (`_prepare`); its pause and dry-run stay as the session has them."""
        from scaletui.scaling.loop_settings import check_loop
        from scaletui.scaling.registry import load_strategy

        spec = self._live_strategy(self._template()[1])
        values = check_loop(step.loop(), spec.loop())
        changed = {k: v for k, v in values.items() if getattr(spec, k) != v}
        chosen = spec.model_copy(update=changed).switched_to(step.name, step.params)
        if step.name != "none":
            load_strategy(chosen, self.ctx.conf_dir)
        when = "when the cluster starts (s)"
        said = f"{step.name} will run {when}." if step.name != "none" else f"No autoscaler will run {when}."
        kept = self.ctx.store.session.strategy
        self.ctx.bus.publish(
            StrategyChanged(
                source="live",
                name=step.name,
                paused=kept.paused,
                dry_run=kept.dry_run,
                message=kept.pause_reason if kept.paused else said,
                params=dict(chosen.params) if step.name != "none" else {},
                loop=changed,
                live=True,
            )
        )
        return said

    def submit_job(self) -> str:
        return self.do(SubmitStep(do="submit"))

    def cancel_job(self) -> str:
        return self.do(CancelJobStep(do="cancel-job"))

    def set_load(self, spec: LoadSpec) -> str:
        from scaletui.workload.profiles import build_profile

        build_profile(spec)  # a bad profile is refused here, before it reaches the loop
        return self.do(LoadStep(do="load", load=spec))

    def rescale(self, operator: str, parallelism: int) -> str:
        return self.do(RescaleStep(do="rescale", operator=operator, parallelism=parallelism))

    def change_taskmanagers(self, delta: int) -> str:
        """One TaskManager more or fewer than the last press asked for: two quick presses of `-` both counted from
        the instances still running and asked for the same count ("TaskManagers: 2 -> 2")."""
        run = self._require()
        with self._lock:
            current = len([i for i in run.caps.cluster.instances() if i.role == "taskmanager"])
            count = self._taskmanagers_asked = max(1, (self._taskmanagers_asked or current) + delta)
        try:
            return self.do(TaskManagersStep(do="taskmanagers", count=count))
        finally:
            with self._lock:
                if self._taskmanagers_asked == count:
                    self._taskmanagers_asked = None

    def set_strategy(self, name: str, params: dict[str, Any] | None = None, loop: dict[str, Any] | None = None) -> str:
        """Strategy `name` with `params` over its file's; `loop` sets the loop's interval, window, cooldown or guard
        rails (min_parallelism, max_parallelism, max_taskmanagers, max_slots)."""
        from scaletui.scaling.loop_settings import check_loop
        from scaletui.scaling.registry import strategy_names

        if name != "none" and name not in strategy_names():
            raise ConfigError(f"Unknown strategy {name!r}.", f"Choose one of: none, {', '.join(strategy_names())}.")
        return self.do(StrategyStep(do="strategy", name=name, params=params or {}, **check_loop(loop or {})))

    def loop_settings(self) -> dict[str, float]:
        """The loop's settings now, its timing and guard rails (a strategy chosen next keeps them); with no cluster,
        those the next one starts with."""
        run = self.run
        return run.autoscaler.loop() if run is not None else self._live_strategy(self._template()[1]).loop()

    def loop_defaults(self) -> dict[str, float]:
        """The live defaults file's loop settings (LIVE_EXPERIMENT's [strategy]), which a live loop starts from and a
        kept setting is checked against: the strategy form's examples."""
        return self._template()[1].strategy.loop()

    def toggle_pause(self) -> str:
        status = self._require().strategy_status()
        if status is None:
            raise UserError("No autoscaler is running.", "Press a in the Plots pane to choose a strategy.")
        return self.do(ResumeStep(do="resume") if status.paused else PauseStep(do="pause"))

    def toggle_dry_run(self) -> str:
        status = self._require().strategy_status()
        if status is None:
            raise UserError("No autoscaler is running.", "Press a in the Plots pane to choose a strategy.")
        return self.do(DryRunStep(do="dry-run", on=not status.dry_run))

    def fire_fault(self, kind: str, targets: list[str], duration: float, params: dict[str, object]) -> str:
        step = FaultStep.model_validate(
            {"do": "fault", "kind": kind, "targets": targets, "duration": duration, "params": params}
        )
        return self.do(step)

    def revert_fault(self, fault_id: str = "all") -> str:
        return self.do(RevertStep(do="revert", fault=fault_id))

    # --- helpers -------------------------------------------------------------------------------------------------

    def _template(self) -> tuple[Path, Experiment]:
        """LIVE_EXPERIMENT's path and experiment: the live defaults (an hour of no strategy when there is no file)."""
        template_path = self.ctx.conf_dir / LIVE_EXPERIMENT
        if template_path.is_file():
            return template_path, load_experiment(template_path)
        return template_path, Experiment(experiment=ExperimentInfo(name="live", duration=3600))

    def _live_strategy(self, template: Experiment) -> StrategySpec:
        """The strategy the next cluster starts with: the session's, its parameters and loop settings, over the
        template's guard rails and the loop's defaults the strategy form names."""
        kept = self.ctx.store.session.strategy
        return template.strategy.model_copy(
            update={
                "name": kept.name,
                "dry_run": kept.dry_run,
                "params": kept.params,
                **self._kept_loop(kept.loop, template.strategy.loop()),
            }
        )

    def _reserved_platform(self) -> str | None:
        """The most recent running reservation: local Flink, the simulator, or a testbed whose Kubernetes cluster
        the orchestration stage set up (then `s` attaches to its pods, k9s-style)."""
        return self.ctx.store.read(lambda s: s.reserved_platform())

    def _kept_loop(self, kept: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
        """The session's loop settings, checked as a live change is, over the live defaults file's. Those that do not
        fit (a hand-edited session file out of bounds, guard rails the edited file's no longer agree with) leave the
        file's to run and are dropped from the session, saying so once, with what to do; the others still run."""
        from scaletui.scaling.loop_settings import LIVE_DEFAULTS, check_loop

        try:
            return check_loop(kept, defaults)
        except ConfigError as e:
            reason = e.message.rstrip(".")
        fitting = fitting_loop(kept, defaults)
        dropped = [key for key in kept if key not in fitting]
        self.forget_loop(dropped)
        self.ctx.notice(
            f"The loop starts with {LIVE_DEFAULTS}'s {', '.join(dropped)}: the session's no longer fit ({reason}) "
            f"and are dropped. To run other values, set them again with :strategy NAME {dropped[0]}=VALUE or the "
            "strategy form (a in Plots)."
        )
        return fitting

    def _prepare(self, platform_name: str) -> PreparedExperiment:
        """The job, load and loop settings (the [strategy] table's interval, window, cooldown and guard rails) of
        LIVE_EXPERIMENT, on the chosen platform, with no end; the strategy, its parameters, the loop's settings, the
        load and the pause state the session had last time."""
        from scaletui.scaling.registry import load_strategy
        from scaletui.workload.profiles import build_profile

        conf = self.ctx.conf_dir
        platform_path = conf / "platforms" / f"{platform_name}.toml"
        if not platform_path.is_file():
            raise ConfigError(f"{platform_path}: no such platform file.")
        platform = load_platform(platform_path)
        template_path, template = self._template()
        saved = self.ctx.store.session.job.load_profile
        load = LoadSpec.model_validate(saved) if saved else template.load
        strategy = self._live_strategy(template)
        experiment = template.model_copy(
            update={
                "experiment": template.experiment.model_copy(
                    update={"name": "live", "platform": platform_name, "stages": [], "description": ""}
                ),
                "faults": [],
                "timeline": [],
                "load": load,
                "strategy": strategy,
                "slo": None,
            }
        )
        try:
            built = None if strategy.name == "none" else load_strategy(strategy, conf)
        except ConfigError as e:
            if not strategy.params:
                raise
            self.ctx.notice(f"{strategy.name} starts with its file's parameters: the session's no longer fit ({e}).")
            strategy = strategy.model_copy(update={"params": {}})
            experiment = experiment.model_copy(update={"strategy": strategy})
            built = load_strategy(strategy, conf)
        return PreparedExperiment(template_path, experiment, platform, build_profile(load), built)


def fitting_loop(kept: Mapping[str, Any], defaults: Mapping[str, float]) -> dict[str, float]:
    """The kept loop settings that fit over `defaults`, checked: each that fits alone, less those that then do not
    fit together (min_parallelism above max_parallelism: both go, a kept interval stays), else none."""
    from scaletui.scaling.loop_settings import check_loop

    def fits(values: Mapping[str, Any]) -> bool:
        try:
            check_loop(values, defaults)
        except ConfigError:
            return False
        return True

    fitting = {key: value for key, value in kept.items() if fits({key: value})}
    if not fits(fitting):
        clashing = {key for key in fitting if fits({k: v for k, v in fitting.items() if k != key})}
        fitting = {k: v for k, v in fitting.items() if k not in clashing}
    return check_loop(fitting, defaults) if fits(fitting) else {}
