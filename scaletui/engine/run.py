"""The run loop: the one loop that drives a capability set, for experiments and live sessions alike.

Every second of the platform's clock it applies what is due (timeline steps of the experiment file, then intents a
user sent from the app), drives the load, ticks the autoscaler, and watches the job. A live session is a run with
no end. On a wall clock the rescales and TaskManager changes, the autoscaler's and those by hand, run one after the
other beside the loop (engine/autoscaler.py), so a fault or a load step is applied when it is due even while one
runs; a job submitted or cancelled, and the run's end, wait for them. Intents are started here, in the loop's
thread, as they come: the run is then the same whether a step came from a key or from a file, which is what lets
`--script` replay a session made by hand (and, on the simulator, make the same decisions). A live intent is
recorded at the time it was started, which is when the user asked for it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Literal

from scaletui.config.models import (
    CancelJobStep,
    DryRunStep,
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
from scaletui.engine.autoscaler import RunAutoscaler, failed, finished, taskmanager_faults
from scaletui.engine.capabilities import Capabilities, unmet_need
from scaletui.engine.run_plan import RunPlan
from scaletui.errors import ConfigError, JobError, UserError
from scaletui.events import (
    ClusterChanged,
    ErrorEvent,
    EventBus,
    LatencyEvent,
    LoadChanged,
    Notice,
    Progress,
    StepTaken,
)
from scaletui.scaling.strategy import Strategy

if TYPE_CHECKING:
    from scaletui.engine.faults import FaultControl
    from scaletui.scaling.status import ControllerStatus

log = logging.getLogger(__name__)
STEP_S = 1.0
AT_TOLERANCE_S = 0.01
"""A step recorded at `at` (rounded to the millisecond) is due at the loop step whose time is `at`, whatever the
float rounding of that time on another run: steps are a second apart, so a hundredth is safe."""


def step_failure(error: BaseException) -> tuple[str, str]:
    """Why a step failed and what to do: a UserError's sentence and hint, any other error's text and no hint."""
    return (error.message, error.hint) if isinstance(error, UserError) else (f"{error}.", "")


class Run:
    """Drive one opened capability set with a plan; `submit` intents from any thread while `run` loops."""

    def __init__(
        self,
        caps: Capabilities,
        plan: RunPlan,
        bus: EventBus,
        faults: FaultControl,
        load_strategy: Callable[[StrategySpec], Strategy],
        cancel: threading.Event,
        on_step: Callable[[TimelineStep], None] = lambda step: None,
    ) -> None:
        """`load_strategy` builds a strategy from its spec (conf/strategies); `cancel` ends the run (Ctrl-C, the
        user stopping it) and is handed to long calls; `on_step` hears every intent applied, with its time from
        the start, so a live session's steps become a replayable timeline."""
        self.caps = caps
        self.plan = plan
        self.bus = bus
        self.faults = faults
        self.on_step = on_step
        self.clock = caps.clock
        faulted = partial(taskmanager_faults, faults.journal)
        self.autoscaler = RunAutoscaler(caps, plan.strategy, bus, load_strategy, faulted, live=plan.live)
        self.load_spec = plan.load
        self.profile = plan.profile
        self.started_at: float | None = None
        self.job_submitted = False
        self._pending = deque(sorted(plan.steps, key=lambda s: s.at))
        self._queue: deque[tuple[TimelineStep, Future[str]]] = deque()
        self._queue_lock = threading.Lock()
        self.cancel = cancel
        self._wake = threading.Event()
        self._failure_reported = ""
        self.failed_steps: list[tuple[int, str]] = []
        """Each timeline step that failed, with its error's exit code and sentence: the run did not go as written."""
        self.check_plan()

    # --- before the loop -----------------------------------------------------------------------------------------

    def check_plan(self) -> None:
        """Refuse, before anything runs, a plan that needs what this platform lacks."""
        for step in self.plan.steps:
            if what := unmet_need(step.do, self.caps.has):
                raise ConfigError(
                    f"The plan's {step.do} step at {step.at:g}s needs {what}, which the {self.caps.platform} "
                    "platform lacks.",
                    "Remove the step, or run the experiment on a platform that has it.",
                )
        if self.caps.load is None and self.plan.profile.name != "constant":
            raise UserError(
                f"The {self.caps.platform} platform has no load control, so only a constant load can run there "
                f"(the load generator's own rate), not profile {self.plan.profile.name}."
            )

    def begin(self) -> None:
        """Submit the job unless the timeline does, then start the clock, the load and the strategy.

        The clock starts once the job runs: a submission can take a minute on a testbed (the jar through the API
        server's proxy, TaskManager pods scheduled), and the file's times (load steps, faults, the duration) are
        the job's, not the submission's. The profile's first rate is set before, for the job to start at it."""
        if self.caps.load is not None:
            self.caps.load.set_profile(self.profile, self.clock.now())
        submit_later = any(isinstance(s, SubmitStep) for s in self.plan.steps)
        if self.caps.job is not None and self.plan.submit_job and not submit_later:
            self._submit()
        elif self.caps.job is None or self.caps.cluster.job() is not None:
            self.job_submitted = True  # the platform's own job, or one a crashed scaletui left running
        self.started_at = self.clock.now()
        if self.caps.load is not None:
            self.caps.load.set_profile(self.profile, self.started_at)
            # The session keeps the load now applied, so the load dialog opens on it, not on an example.
            spec = self.load_spec.model_dump()
            self.bus.publish(LoadChanged(ts=self.started_at, source="run", spec=spec, live=self.plan.live))
        if self.plan.initial_strategy is not None:
            self.autoscaler.start(self.plan.initial_strategy, self.plan.strategy)

    # --- what the faces read -------------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else self.clock.now() - self.started_at

    def strategy_status(self) -> ControllerStatus | None:
        return self.autoscaler.status()

    # --- intents -------------------------------------------------------------------------------------------------

    def submit(self, step: TimelineStep) -> Future[str]:
        """Queue an intent for the loop's next step (at once on a wall clock); the future holds its message."""
        future: Future[str] = Future()
        with self._queue_lock:
            self._queue.append((step, future))
        self._wake.set()
        return future

    def stop(self) -> None:
        self.cancel.set()
        self._wake.set()

    def apply(self, step: TimelineStep, by: Literal["hand", "file"]) -> Future[str]:
        """Start one step now, in the loop's thread; the future holds what happened in one sentence. A rescale or a
        TaskManager change ends later on a wall clock (after the actuation under way); any other step has ended.
        Its StepTaken, dated now and saying who took it (`by`), is published when it ends."""
        began = self.clock.now()  # before it starts: on a simulated clock a change by hand moves time
        done = self._start(step)
        done.add_done_callback(partial(self._publish_step, step, by, began))
        return done

    def _publish_step(self, step: TimelineStep, by: Literal["hand", "file"], began: float, done: Future[str]) -> None:
        error = done.exception()
        said = done.result() if error is None else step_failure(error)[0]  # the record of the step needs no hint
        fields = step.model_dump(mode="json", exclude={"at"})
        self.bus.publish(StepTaken(ts=began, source="run", step=fields, by=by, ok=error is None, message=said))

    def _start(self, step: TimelineStep) -> Future[str]:
        match step:
            case RescaleStep():
                start = partial(self.autoscaler.rescale_by_hand, step.operator, step.parallelism)
            case TaskManagersStep():
                start = partial(self.autoscaler.taskmanagers_by_hand, step.count)
            case _:
                return finished(partial(self._apply_now, step))
        try:
            return start()
        except Exception as e:
            return failed(e)

    def _apply_now(self, step: TimelineStep) -> str:
        match step:
            case LoadStep():
                return self._set_load(step.load)
            case StrategyStep():
                return self.autoscaler.choose(step.name, step.params, step.loop())
            case PauseStep() | ResumeStep():
                return self.autoscaler.pause(isinstance(step, PauseStep))
            case DryRunStep():
                return self.autoscaler.dry_run(step.on)
            case FaultStep():
                targets = list(step.targets) or ["role:taskmanager"]
                return self.faults.fire(step.kind, targets, step.duration, dict(step.params))
            case RevertStep():
                return self.faults.revert_all() if step.fault == "all" else self.faults.revert(step.fault)
            case SubmitStep():
                return self._submit()
            case CancelJobStep():
                job = self.caps.require_job()
                self.autoscaler.wait_idle("cancelling the job")
                job.cancel()
                self.job_submitted = False
                return "Job cancelled."
        raise UserError(f"Unknown step {step!r}.")

    def _set_load(self, spec: LoadSpec) -> str:
        from scaletui.workload.profiles import build_profile

        load = self.caps.require_load()
        profile = build_profile(spec)
        load.set_profile(profile, self.clock.now())
        self.load_spec, self.profile = spec, profile
        message = f"Load: {profile.name} (now {profile.rate_at(0):.0f} records/s) through {load.how}."
        self.bus.publish(
            LoadChanged(ts=self.clock.now(), source="run", spec=spec.model_dump(), message=message, live=self.plan.live)
        )
        return message

    def _submit(self) -> str:
        job = self.caps.require_job()
        self.autoscaler.wait_idle("submitting the job")
        info = job.submit(self.plan.job, self.profile.rate_at(self.elapsed()), self.cancel)
        self.job_submitted = True
        return f"Job submitted ({info.job_id[:8]})."

    # --- the loop ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Loop until the plan's duration or `cancel`; a failed job ends an experiment (JobError). The autoscaler's
        running actuation ends before this returns, so what closes the run finds the platform at rest; a cancelled
        run waits for it a bounded time (`wait_idle`)."""
        try:
            self._loop()
        finally:
            self._fail_queue("The run ended before this was done.")
            self.autoscaler.wait_idle("the run ends", stopped=self.cancel.is_set())

    def _loop(self) -> None:
        assert self.started_at is not None, "begin() first"
        last_instances = last_latency = -math.inf
        last_progress = self.started_at
        while not self.cancel.is_set():
            step_began = self.clock.now()
            elapsed = step_began - self.started_at
            self._apply_due(elapsed)
            if self.plan.duration is not None and elapsed >= self.plan.duration:
                break
            self._step(step_began)
            if step_began - last_instances >= self.plan.instances_every_s:
                last_instances = step_began
                self._publish_instances()
            if self.caps.virtual_time and step_began - last_latency >= self.plan.latency_every_s:
                last_latency = step_began
                self._publish_latency(step_began)
            if self.plan.duration is not None and step_began - last_progress >= max(10.0, self.plan.duration / 20):
                last_progress = step_began
                done = f"{elapsed:.0f}/{self.plan.duration:.0f}s"
                fraction = elapsed / self.plan.duration
                self.bus.publish(
                    Progress(ts=step_began, source="experiment", step="run", message=done, fraction=fraction)
                )
            if not self.caps.virtual_time:
                self._sleep_wall(step_began + STEP_S)
            elif self.clock.sleep(max(0.0, step_began + STEP_S - self.clock.now()), self.cancel):
                break

    def _sleep_wall(self, until: float) -> None:
        """Sleep to the next step, applying intents as soon as they come (a key should act at once). A simulated
        clock never does this: its time moves only in steps, so intents wait for the next one there."""
        while not self.cancel.is_set():
            left = until - self.clock.now()
            if left <= 0:
                return
            if self._wake.wait(left):
                self._wake.clear()
                if not self.cancel.is_set():
                    self._apply_queue()

    def _apply_due(self, elapsed: float) -> None:
        """The steps due by now, in order. A step that a slow one before it (a job submitted) made late still runs,
        late rather than never, and so does one due before the run's end that the end overtook."""
        end = self.plan.duration if self.plan.duration is not None else math.inf
        while self._pending and self._pending[0].at <= min(max(elapsed, self.elapsed()), end) + AT_TOLERANCE_S:
            step = self._pending.popleft()
            self.apply(step, "file").add_done_callback(partial(self._say_step, step))
        self._apply_queue()

    def _say_step(self, step: TimelineStep, done: Future[str]) -> None:
        """A timeline step's outcome, once it is known (a change by hand ends on the actuation thread)."""
        error = done.exception()
        if error is None:
            said = f"{step.at:g}s: {done.result()}"
            restates = isinstance(step, FaultStep)  # its FaultEvent, published when the fault went in, said it
            self.bus.publish(Notice(ts=self.clock.now(), source="timeline", message=said, restates=restates))
            return
        if not isinstance(error, UserError):
            log.error("timeline %s step failed", step.do, exc_info=error)
        message, hint = step_failure(error)
        said = f"Timeline {step.do} at {step.at:g}s: {message}"
        self.failed_steps.append((error.exit_code if isinstance(error, UserError) else 1, said))
        self.bus.publish(ErrorEvent(ts=self.clock.now(), source="run", message=said, hint=hint))

    def _apply_queue(self) -> None:
        """The intents sent since the last look, each started now and recorded at this time: when it was asked
        for, not when the change before it (a TaskManager start) ended."""
        while True:
            with self._queue_lock:
                if not self._queue:
                    return
                step, future = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            asked = step.model_copy(update={"at": round(self.elapsed(), 3)})
            self.apply(step, "hand").add_done_callback(partial(self._answer, asked, future))

    def _answer(self, step: TimelineStep, future: Future[str], done: Future[str]) -> None:
        """Hand an intent's outcome to whoever sent it, recording it first when it was done."""
        error = done.exception()
        if error is not None:
            future.set_exception(error)
            return
        try:
            self.on_step(step)
        except Exception:  # the step was done: its sender hears so even if writing it down failed (disk full)
            log.exception("recording the step %s in the live timeline failed", step.do)
        future.set_result(done.result())

    def _fail_queue(self, why: str) -> None:
        with self._queue_lock:
            pending, self._queue = list(self._queue), deque()
        for _, future in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(UserError(why))

    def _step(self, now: float) -> None:
        """Load, autoscaler and job health for one step; a failure is reported and the run goes on."""
        try:
            if self.caps.load is not None:
                self.caps.load.tick(now)
            self.autoscaler.tick()
        except UserError as e:
            self.bus.publish(ErrorEvent(source="run", message=e.message, hint=e.hint))
        except Exception as e:
            log.exception("run step failed")
            self.bus.publish(ErrorEvent(source="run", message=f"A run step failed: {e}."))
        failure = self.caps.job.failure() if self.caps.job is not None and self.job_submitted else ""
        if failure and self.plan.duration is not None:
            raise JobError(f"The job failed during the run: {failure}.")
        if failure and failure != self._failure_reported:
            self._failure_reported = failure
            self.bus.publish(ErrorEvent(source="run", message=f"The job failed: {failure}.",
                                        hint="Submit it again with j."))  # fmt: skip

    def _publish_latency(self, now: float) -> None:
        if self.caps.latency is not None:
            matrix = dataclasses.replace(self.caps.latency.matrix(), ts=now)
            self.bus.publish(LatencyEvent(ts=now, source="latency", matrix=matrix))

    def _publish_instances(self) -> None:
        try:
            instances = tuple(self.caps.cluster.instances())
        except UserError:
            return
        self.bus.publish(ClusterChanged(ts=self.clock.now(), source="run", instances=instances))
