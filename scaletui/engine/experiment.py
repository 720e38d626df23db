"""One run, start to end: reserve, stages, open the platform's capability set, run the loop, tear down, results.

An experiment file runs for its duration (`--script`, the Runs screen); a live session is the same run with no end,
started and stopped by the user, whose intents are recorded as a timeline `--script` can replay. Every run leaves
`results/<session>/<run-id>/` as events arrive; on cancel (Ctrl-C, SIGTERM, a key) faults are reverted and partial
results kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scaletui.engine.capabilities import Capabilities
from scaletui.engine.context import EngineContext
from scaletui.engine.prepare import PreparedExperiment
from scaletui.engine.run import Run
from scaletui.engine.run_plan import RunPlan
from scaletui.errors import Cancelled, ConfigError, UserError
from scaletui.events import ClusterChanged, ErrorEvent, Event, Progress, RunChanged
from scaletui.wording import counted

if TYPE_CHECKING:
    from scaletui.capacity.online import LiveCapacity
    from scaletui.config.models import Experiment, StrategySpec, TimelineStep
    from scaletui.engine.timeline import HandTimeline
    from scaletui.latency.monitor import LatencyMonitor
    from scaletui.results.recorder import RunRecorder
    from scaletui.scaling.strategy import Strategy

RunStatus = Literal["done", "failed", "interrupted"]
Recovery = Literal["adopt", "stop"]
LATENCY_EVERY_S = 5.0
log = logging.getLogger(__name__)


@dataclass
class RunResult:
    status: str
    exit_code: int
    results_dir: Path | None
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


def scheduled(exp: Experiment) -> str:
    """What the file schedules, in its own tables' words: its faults are run as timeline steps, but a file with only
    `[[faults]]` has no timeline to count."""
    parts = [counted(len(exp.timeline), "timeline step")] if exp.timeline else []
    parts += [counted(len(exp.faults), "fault")] if exp.faults else []
    return " and ".join(parts) + " scheduled"


def open_capabilities(
    ctx: EngineContext, prepared: PreparedExperiment, cancel: threading.Event, realtime: bool, recovery: Recovery
) -> Capabilities:
    """The capability set of the experiment's platform, by its kind."""
    pf, job = prepared.platform, prepared.experiment.job
    kind = pf.platform.type
    if kind in ("simulator", "local") and job.source != "workload":
        raise ConfigError(
            f"{prepared.path}: key job.source is {job.source!r}, which needs a testbed; the {kind} platform runs "
            "scaletui's workload job only.",
            'Remove job.source, or set it to "workload".',
        )
    if kind == "simulator":
        from scaletui.engine.simulator_set import open_simulator

        return open_simulator(pf, job, prepared.profile, ctx.bus, realtime)
    if kind == "local":
        from scaletui.engine.local_set import open_local
        from scaletui.flink.processes import FlinkProcess

        remembered = tuple(
            FlinkProcess(p.name, p.role, p.pid, list(p.ports), p.started_at)
            for p in ctx.store.read(lambda s: list(s.cluster.processes))
        )
        caps = open_local(pf, job, ctx.bus, ctx.session_dir, ctx.cache_dir, remembered, cancel, recovery, ctx.notice)
        return caps
    from scaletui.engine.testbed_set import open_testbed

    return open_testbed(pf, job, ctx.kubeconfig(), ctx.bus, ctx.cache_dir, cancel, ctx.notice)


class ExperimentRun:
    """One run of a prepared experiment; `live=True` makes it open-ended and records the intents applied."""

    def __init__(
        self,
        ctx: EngineContext,
        prepared: PreparedExperiment,
        results_root: Path | None = None,
        *,
        live: bool = False,
        recovery: Recovery = "stop",
    ) -> None:
        self.ctx = ctx
        self.prepared = prepared
        self.results_root = results_root or ctx.results_dir
        self.live = live
        self.recovery = recovery
        self.caps: Capabilities | None = None
        self.run: Run | None = None
        self.ready = threading.Event()
        """Set once the run loop has begun (or the run ended before): a live session waits on it."""
        self.results_dir: Path | None = None
        self.capacity: LiveCapacity | None = None
        """What each node can still take, estimated from the run's telemetry (the Pods pane's `c`)."""
        self.latency: LatencyMonitor | None = None
        self._hand: HandTimeline | None = None
        self._unwatch: list[Callable[[], None]] = []
        self.held = ""
        """The reserved platform this run holds (a testbed's name once held), for telling what stays booked."""

    @property
    def name(self) -> str:
        return self.prepared.name

    def _step(self, name: str, message: str, done: bool = False) -> None:
        """A step begins (no fraction: the run step's own progress lines carry the percentage)."""
        self.ctx.bus.publish(Progress(source="experiment", step=name, message=message, done=done))

    def execute(self, cancel: threading.Event) -> RunResult:
        from scaletui.results.recorder import RunRecorder

        ctx, exp = self.ctx, self.prepared.experiment
        ctx.runs.claim(self)
        try:
            recorder = RunRecorder(
                self.results_root,
                ctx.name,
                experiment_file=None if self.live else self.prepared.path,
                experiment_name=self.prepared.name,
                bus=ctx.bus,
                flink_version=ctx.store.read(lambda s: s.cluster.flink_version) or None,
            )
        except BaseException:
            ctx.runs.release(self)
            self.ready.set()
            raise
        self.results_dir = recorder.run_dir
        ctx.series.clear()  # the plots show this run from now on (a reopened session showed the last one)
        hand = self._hand = self._hand_timeline(recorder.run_dir)
        ctx.bus.publish(self._changed(recorder, "running", "none"))
        status: RunStatus = "done"
        exit_code, message = 0, ""
        try:
            self._open(cancel)
            assert self.caps is not None
            run = Run(self.caps, self._plan(), ctx.bus, ctx.faults, self._load_strategy, cancel, self._record_step)
            self.run = run
            ctx.bus.publish(self._changed(recorder, "running", self.caps.backend))
            if self.caps.job is None:
                self._step("job", "the job runs with the cluster")
            else:
                self._step("job", "the job" + ("" if self.live else ": submitting"))
            run.begin()
            if run.started_at is not None:
                recorder.set_origin(run.started_at)
            self._step("load", f"load profile {self.prepared.profile.name}")
            strategy = run.strategy_status()
            self._step("strategy", strategy.strategy if strategy is not None else "no autoscaler")
            if exp.steps():
                self._step("timeline", scheduled(exp))
            if self.caps.missing():
                self._step("capabilities", f"{self.caps.platform}: {'; '.join(self.caps.missing())}")
            what = "until stopped" if self.live else f"for {exp.experiment.duration:.0f}s"
            self._step("run", f"running {what}")
            self.ready.set()
            run.run()
            if cancel.is_set() and not self.live:
                status, exit_code, message = "interrupted", 130, "interrupted; partial results kept"
            elif run.failed_steps and not self.live:
                exit_code, first = run.failed_steps[0]
                count = len(run.failed_steps)
                steps, them = ("steps", "them") if count > 1 else ("step", "it")
                message = (f"the run did not go as written: {count} timeline {steps} failed ({first.rstrip('.')}); "
                           f"report.md lists {them} under Problems")  # fmt: skip
        except Cancelled as e:  # the user's ctrl+g: the caller says it, once, as what happened
            status, exit_code, message = "interrupted", e.exit_code, e.message
        except UserError as e:
            from scaletui.engine.reservations import was_reported

            status, exit_code, message = "failed", e.exit_code, "" if was_reported(e) else str(e)
            if not was_reported(e):
                ctx.bus.publish(ErrorEvent(source="experiment", message=e.message, hint=e.hint))
        except Exception as e:
            log.exception("run %s failed", self.prepared.name)
            status, exit_code, message = "failed", 1, f"internal error: {e} (see {ctx.log_file})"
            ctx.bus.publish(ErrorEvent(source="experiment", message=message))
        finally:
            self._teardown(hand)
            if status == "failed" and self.held and (kept := ctx.testbed.kept(self.held)):
                ctx.notice(kept, "warning")
            ctx.runs.release(self)
            self.ready.set()
        results = recorder.close(status)
        summary: dict[str, Any] = {}
        slo = self.prepared.experiment.slo
        if slo is not None and not self.live:
            from scaletui.results.slo import check_run_slo

            verdict = check_run_slo(results, slo)
            if verdict is not None:
                summary = verdict.as_dict()
                slo_error = verdict.error()
                if status == "done" and slo_error is not None:
                    status, exit_code = "failed", slo_error.exit_code
                    message = f"{slo_error}; and {message}" if message else str(slo_error)
        ctx.bus.publish(self._changed(recorder, status, "none", summary))
        self._step("teardown", f"results in {results}", done=True)
        return RunResult(status, exit_code, results, message, summary)

    def _open(self, cancel: threading.Event) -> None:
        """Hold the machines (testbeds: re-attach to the recorded reservation, else reserve), run the named stages,
        then open the platform's capability set."""
        ctx, exp = self.ctx, self.prepared.experiment
        name = exp.experiment.platform
        self._step("platform", f"opening platform {name}")
        if self.prepared.platform.platform.type not in ("local", "simulator"):
            message, _ = ctx.testbed.hold(name)
            ctx.notice(message)
            self.held = name
        if exp.experiment.stages:
            self._step("stages", ctx.testbed.run_stages(exp.experiment.stages, cancel))
        self.caps = open_capabilities(ctx, self.prepared, cancel, realtime=self.live, recovery=self.recovery)
        ctx.faults.attach(self.caps.platform, self.caps.faults, self.caps.cluster.instances)
        self._watch(self.caps)

    def _watch(self, caps: Capabilities) -> None:
        """Node capacity from the run's telemetry, booked with the TaskManagers each node hosts; the latency
        matrix every few seconds (a simulated clock measures in the loop instead, on its own time)."""
        from pydantic import ValidationError

        from scaletui.capacity.config import CapacityConfig
        from scaletui.capacity.online import LiveCapacity
        from scaletui.config.errors import from_validation

        try:
            config = CapacityConfig.model_validate(self.ctx.config.capacity)
        except ValidationError as e:
            raise from_validation("conf/scaletui.toml", e, prefix="capacity") from None
        capacity = self.capacity = LiveCapacity(config).attach(self.ctx.bus)
        booked: set[str] = set()

        def book(event: Event) -> None:
            """Telemetry names a node by machine (simulator, testbed) or by TaskManager (local Flink, one process
            each): book both, whichever the samples use. A node whose TaskManagers were all removed is booked
            nothing again."""
            assert isinstance(event, ClusterChanged)
            per_key: dict[str, int] = dict.fromkeys(booked, 0)
            for i in event.instances:
                if i.role == "taskmanager":
                    per_key[i.node] = per_key.get(i.node, 0) + 1
                    per_key[i.name] = 1
            for key, count in per_key.items():
                capacity.set_taskmanagers(key, count)
            booked.clear()
            booked.update(key for key, count in per_key.items() if count)

        self._unwatch = [capacity.close, self.ctx.bus.subscribe(book, ClusterChanged)]
        if caps.latency is not None and not caps.virtual_time:
            from scaletui.latency.monitor import LatencyMonitor

            self.latency = LatencyMonitor(caps.latency, self.ctx.bus, interval_s=LATENCY_EVERY_S).start()
            self._unwatch.append(self.latency.stop)

    def _plan(self) -> RunPlan:
        exp = self.prepared.experiment
        return RunPlan(
            name=exp.experiment.name,
            duration=None if self.live else exp.experiment.duration,
            job=exp.job,
            load=exp.load,
            profile=self.prepared.profile,
            strategy=exp.strategy,
            initial_strategy=self.prepared.strategy,
            steps=tuple(exp.steps()),
            submit_job=not self.live,
            instances_every_s=self.ctx.config.refresh.instances,
        )

    def _load_strategy(self, spec: StrategySpec) -> Strategy:
        from scaletui.scaling.registry import load_strategy

        return load_strategy(spec, self.ctx.conf_dir)

    def _record_step(self, step: TimelineStep) -> None:
        """A live run's intents become its replayable timeline."""
        if self._hand is not None and self.run is not None:
            self._hand.add(step, self.run.elapsed())

    def _hand_timeline(self, run_dir: Path) -> HandTimeline | None:
        if not self.live:
            return None
        from scaletui.engine.timeline import HandTimeline
        from scaletui.results import layout

        return HandTimeline(run_dir / layout.EXPERIMENT, self.prepared.experiment)

    def _teardown(self, hand: HandTimeline | None) -> None:
        ctx = self.ctx
        for unwatch in self._unwatch:
            unwatch()
        self._unwatch = []
        try:
            if self.run is not None and hand is not None:
                hand.write(self.run.elapsed())
            if self.prepared.experiment.steps() or self.live:
                ctx.faults.revert_all()
        except Exception:
            log.exception("reverting the run's faults failed")
        ctx.faults.detach()
        if self.caps is None:
            return
        try:
            stop = self.live or self.prepared.experiment.experiment.teardown == "stop"
            self.caps.close(stop_cluster=stop)
        except Exception as e:
            log.exception("teardown failed")
            ctx.bus.publish(ErrorEvent(source="experiment", message=f"Teardown failed: {e}."))

    def _changed(
        self,
        recorder: RunRecorder,
        status: Literal["running", "done", "failed", "interrupted"],
        backend: Literal["none", "local", "kubernetes", "simulator"],
        summary: dict[str, Any] | None = None,
    ) -> RunChanged:
        return RunChanged(
            source="experiment",
            run_id=recorder.run_id,
            experiment=self.prepared.name,
            status=status,
            backend=backend,
            started_at=recorder.started_at,
            ended_at=None if status == "running" else time.time(),
            results_dir=str(recorder.run_dir),
            summary=summary or {},
            live=self.live,
        )
