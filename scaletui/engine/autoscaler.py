"""The run's autoscaler: the controller that strategy steps start, swap, pause and turn off.

It lives apart from the run loop so the loop reads as what it does each second; calls come from the loop's thread (a
step from the timeline or an intent from the app), and the changes they start end on the actuation thread. On a
wall clock the
controller's actuations and the changes by hand (a rescale, TaskManagers) run one after the other in one
`ActuationThread` beside the loop: a rescale or a TaskManager start that takes a minute no longer holds the
timeline's faults and load steps, nor the user's keys. What must not overlap them (a job submitted or cancelled, the
run's end) waits for them with `wait_idle`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING

from scaletui.cluster.base import check_parallelism, check_taskmanagers
from scaletui.config.models import StrategySpec
from scaletui.config.units import human_duration
from scaletui.engine.capabilities import Actuation, Capabilities, ScalingTarget, one_way_ms
from scaletui.errors import JobError, UserError
from scaletui.events import EventBus, Notice, StrategyChanged
from scaletui.scaling.strategy import Strategy

if TYPE_CHECKING:
    from scaletui.chaos.journal import FaultJournal
    from scaletui.scaling.actuation import ActuationThread
    from scaletui.scaling.controller import ScalingController
    from scaletui.scaling.status import ControllerStatus

IDLE_WAIT_S = 900.0
"""The longest wait for the autoscaler's actuation: every backend bounds its own (a testbed's rescale_timeout_s, 180 s
by default; the local cluster's 90 s), so this only catches one that never returns."""
STOPPED_WAIT_S = 60.0
"""The longest a stopped run (the quit, `S`, ctrl+c, a stop signal) waits for the actuation under way before its
cluster is stopped under it: what stops the cluster ends the rescale too, and a quit must not hang for minutes."""


class RunAutoscaler:
    """At most one `ScalingController` on the capability set's actuation, and the StrategyChanged events the app
    shows of it."""

    def __init__(
        self,
        caps: Capabilities,
        spec: StrategySpec,
        bus: EventBus,
        load_strategy: Callable[[StrategySpec], Strategy],
        faulted: Callable[[], str] = lambda: "",
        *,
        live: bool,
    ) -> None:
        """`spec` is the plan's strategy settings, which a strategy chosen later keeps (interval, window, bounds);
        `faulted` names the faults active on TaskManagers, the cause of a failover the loop pauses for; `live`: the
        run is the app's live session, whose StrategyChanged the session keeps."""
        self.caps = caps
        self.live = live
        self.spec = spec
        self.bus = bus
        self.load_strategy = load_strategy
        self.faulted = faulted
        self._said_paused = False
        """The pause state the last StrategyChanged said: the loop pausing itself is published too."""
        self.controller: ScalingController | None = None
        self.actuation: ActuationThread | None = None
        self.params: dict[str, object] = dict(spec.params)
        """The running strategy's overrides of its file's parameters (the plan's, or those it was chosen with)."""
        self.loop_set: dict[str, float] = {}
        """The loop's settings (timing, guard rails) changed in this run: the session keeps them over the live
        defaults file's."""
        self._by_hand = ""
        """The change by hand the actuation thread is making ("setting the TaskManagers to 3"), "" when none."""
        if not caps.virtual_time:
            from scaletui.scaling.actuation import ActuationThread

            self.actuation = ActuationThread()

    def status(self) -> ControllerStatus | None:
        return self.controller.status() if self.controller is not None else None

    def start(self, strategy: Strategy, spec: StrategySpec) -> str:
        from scaletui.scaling.controller import ScalingController

        actuation = self.caps.actuation
        if actuation is None:
            raise UserError(f"No autoscaling on the {self.caps.platform} platform: it has no rescaling.")
        target = ScalingTarget(self.caps.cluster, self.caps.metrics, actuation, self.bus)
        latency = self.caps.latency
        self.controller = ScalingController(
            target,
            strategy,
            spec,
            bus=self.bus,
            clock=self.caps.clock,
            topology=self.caps.topology,
            latency=(lambda: one_way_ms(latency.matrix())) if latency is not None else None,
            actuation_thread=self.actuation,
            outside_cause=self.faulted,
        )
        self._publish()
        self._warn_if_idle(strategy)
        mode = "dry-run, " if spec.dry_run else ""
        return (
            f"{strategy.name} ({mode}every {human_duration(spec.interval)} over a {human_duration(spec.window)} window)"
        )

    def choose(
        self, name: str, params: dict[str, object] | None = None, loop: Mapping[str, object] | None = None
    ) -> str:
        """Swap to strategy `name` (conf/strategies) with `params` over the plan's, start the controller if none
        runs; "none" turns it off. `loop` (interval, window, cooldown, the guard rails) changes the loop's settings
        for this strategy and those chosen after, checked with the running ones; nothing changes when any of it is
        refused."""
        from scaletui.scaling.loop_settings import check_loop

        values = check_loop(loop or {}, self.spec.loop())
        changed = {k: v for k, v in values.items() if getattr(self.spec, k) != v}
        said = f" Loop: {self._loop_text(changed)}." if changed else ""
        tuned = self.spec.model_copy(update=changed)
        if name == "none":
            self.spec = tuned
            self.loop_set.update(changed)
            self.controller = None
            self.bus.publish(
                StrategyChanged(ts=self.caps.clock.now(), source="run", name="none", message="autoscaling off",
                                loop=dict(self.loop_set), live=self.live)
            )  # fmt: skip
            return "Autoscaling off." + said
        spec = tuned.switched_to(name, params)
        strategy = self.load_strategy(spec)  # may still refuse the line: only then does the session keep the loop
        self.spec = tuned
        self.loop_set.update(changed)
        self.params = dict(spec.params)
        if self.controller is None:
            return self.start(strategy, spec) + said
        if changed:
            self.controller.set_loop(changed)
        self.controller.set_strategy(strategy)
        self._publish()
        self._warn_if_idle(strategy)
        if self.controller.status().paused:
            return (
                f"Strategy {name}, paused as the one before: resume it (space in Plots, :resume) to let it decide."
                + said
            )
        return f"Strategy {name}." + said

    def loop(self) -> dict[str, float]:
        """The loop's settings now: interval, window and cooldown in seconds, and the guard rails."""
        return self.spec.loop()

    def _loop_text(self, changed: dict[str, float]) -> str:
        """`interval 10s -> 5s, max_parallelism 8 -> 6`."""
        from scaletui.scaling.loop_settings import setting_text

        return ", ".join(
            f"{k} {setting_text(k, getattr(self.spec, k))} -> {setting_text(k, v)}" for k, v in changed.items()
        )

    def _warn_if_idle(self, strategy: Strategy) -> None:
        """A strategy that can never act (schedule with no plan) is still accepted, but not in silence."""
        if reason := strategy.idle_reason():
            self.bus.publish(Notice(ts=self.caps.clock.now(), source="scaling", message=reason, level="warning"))

    def pause(self, paused: bool) -> str:
        controller = self._require()
        if paused:
            controller.pause()
        else:
            controller.resume()
        self._publish()
        return ("Autoscaler paused." if paused else "Autoscaler resumed.") + self._under_way()

    def dry_run(self, on: bool) -> str:
        self._require().set_dry_run(on)
        self._publish()
        said = "Dry-run on: decisions are shown, not applied." if on else "Dry-run off: decisions apply."
        return said + self._under_way()

    def _under_way(self) -> str:
        """Pausing or dry-run stops the next decisions, not a rescale already under way: say so, not let the
        TaskManagers that keep starting contradict the message."""
        status = self.status()
        if status is None or not status.acting:
            return ""
        return f" The change under way ({status.acting}) still finishes."

    def note_manual(self, what: str, check: Callable[[], None]) -> None:
        """A change by hand (`what`) pauses the autoscaler, whatever it changes, once the platform's `check` took
        it: a change it refuses (a UserError) pauses nothing and says so when a loop runs, rather than pause and
        take the pause back, which restarted the loop's metrics window (one window of delay)."""
        controller = self.controller
        running = controller is not None and not controller.status().paused
        try:
            check()
        except UserError as e:
            if not running:
                raise
            raise type(e)(e.message, f"{e.hint} The scaling loop was not paused.".strip()) from None
        if controller is not None and running:
            controller.note_manual_change(what)
            self._publish()

    def rescale_by_hand(self, operator: str, parallelism: int) -> Future[str]:
        """A rescale by hand, checked as every backend checks it (a job runs, the operator is its, the parallelism
        in 1..its max parallelism) before it pauses the autoscaler."""
        actuation = self.caps.require_actuation()

        def check() -> None:
            job = self.caps.cluster.job()
            if job is None:
                raise JobError("No job runs, so there is nothing to rescale.", "Submit it first (j in Pods).")
            check_parallelism(job.max_parallelism, {operator: parallelism})

        self.note_manual(f"{operator} set to {parallelism} by hand", check)
        change = partial(self._set_parallelism, actuation, operator, parallelism)
        return self._after_actuation(f"setting {operator} to {parallelism}", change)

    def _set_parallelism(self, actuation: Actuation, operator: str, parallelism: int) -> str:
        job = self.caps.cluster.job()  # now: the autoscaler may have rescaled before
        if job is not None and any(o.name == operator and o.parallelism == parallelism for o in job.operators):
            return f"{operator} already runs at {parallelism}: nothing to rescale, the job was not restarted."
        event = actuation.set_parallelism({operator: parallelism})
        before = event.before.get(operator) if isinstance(event.before, dict) else event.before
        info = self.caps.cluster.job()  # the scheduler caps an upper bound above the cluster's slots
        running = next((o.parallelism for o in info.operators if o.name == operator), None) if info else None
        if running is not None and running < parallelism:
            return (
                f"{operator}: {before} -> {parallelism} asked, running at {running}: the cluster has too few slots. "
                "Add a TaskManager (+ in Pods); Flink scales up when its slots register."
            )
        return f"{operator}: {before} -> {parallelism}."

    def taskmanagers_by_hand(self, count: int) -> Future[str]:
        """A TaskManager count by hand, checked against the platform's limit before it pauses the autoscaler."""
        actuation = self.caps.require_actuation()
        limit = actuation.taskmanager_limit
        self.note_manual(f"TaskManagers set to {count} by hand", partial(check_taskmanagers, count, limit))
        change = partial(self._set_taskmanagers, actuation, count)
        return self._after_actuation(f"setting the TaskManagers to {count}", change)

    def _set_taskmanagers(self, actuation: Actuation, count: int) -> str:
        current = len([i for i in self.caps.cluster.instances() if i.role == "taskmanager"])
        actuation.set_taskmanagers(count)
        return f"TaskManagers: {current} -> {count}."

    def _after_actuation(self, what: str, change: Callable[[], str]) -> Future[str]:
        """A change by hand (`what`: "setting the TaskManagers to 3") after the actuation under way: off the loop's
        thread on a wall clock, so the faults, load steps and keys that come meanwhile act at once; in this thread
        on a simulated clock, where its wait is what moves time. The future holds what it says."""
        if self.actuation is None:
            return finished(change)
        if self.actuation.busy():
            self._say_waiting(what)
        future: Future[str] = Future()

        def work() -> None:
            self._by_hand = what
            try:
                future.set_result(change())
            except Exception as e:
                future.set_exception(e)
            finally:
                self._by_hand = ""

        future.set_running_or_notify_cancel()
        self.actuation.start(work)
        return future

    def wait_idle(self, before: str, stopped: bool = False) -> None:
        """Let the running actuations end before `before` ("the run ends"), saying so when it must wait. A `stopped`
        run waits at most STOPPED_WAIT_S and then goes on, saying so, rather than fail: its cluster is stopped next."""
        if self.actuation is None or not self.actuation.busy():
            return
        acting = self._say_waiting(before)
        limit = STOPPED_WAIT_S if stopped else IDLE_WAIT_S
        if self.actuation.wait(limit):
            return
        said = f"The actuation under way ({acting}) has not ended after {limit:.0f}s"
        if not stopped:
            raise UserError(f"{said}.", "See the Pods pane and the session log; the platform may be stuck.")
        self.bus.publish(
            Notice(ts=self.caps.clock.now(), source="run", level="warning", message=f"{said}: {before} without it.")
        )

    def _say_waiting(self, before: str) -> str:
        """Say what `before` waits for: the autoscaler's change or one by hand; returns it."""
        status = self.status()
        if status is not None and status.acting:
            acting = f"the autoscaler ({status.acting})"
        else:
            acting = self._by_hand or "the autoscaler (rescaling)"
        self.bus.publish(
            Notice(ts=self.caps.clock.now(), source="run", message=f"Waiting for {acting} to finish before {before}.")
        )
        return acting

    def tick(self) -> None:
        """One step of the loop; when it paused itself (the parallelism changed under it) the session hears it."""
        if self.controller is not None:
            self.controller.tick()
            if self.controller.status().paused != self._said_paused:
                self._publish()

    def _require(self) -> ScalingController:
        if self.controller is None:
            raise UserError("No autoscaler is running.", "Choose a strategy first (a in Plots).")
        return self.controller

    def _publish(self) -> None:
        status = self.status()
        if status is not None:
            self._said_paused = status.paused
            self.bus.publish(
                StrategyChanged(
                    ts=self.caps.clock.now(), source="run", name=status.strategy, paused=status.paused,
                    dry_run=status.dry_run, message=status.pause_reason, settings=status.settings,
                    params=dict(self.params), loop=dict(self.loop_set), live=self.live,
                )
            )  # fmt: skip


def taskmanager_faults(journal: FaultJournal) -> str:
    """The active faults on TaskManagers in a few words ("pause on taskmanager-3"), "" when none: what can make
    Flink fail the job over onto fewer slots. Read from the fault journal, so nothing of chaos is loaded for it."""
    faults = [f for f in journal.entries() if any("taskmanager" in t for t in f.targets)]
    return ", ".join(f"{f.kind} on {', '.join(f.targets)}" for f in faults)


def finished(call: Callable[[], str]) -> Future[str]:
    """`call` done now, its sentence or its error in a future, like a change that ran on the actuation thread."""
    future: Future[str] = Future()
    future.set_running_or_notify_cancel()
    try:
        future.set_result(call())
    except Exception as e:
        future.set_exception(e)
    return future


def failed(error: Exception) -> Future[str]:
    """A change refused before it started, as a future like those of the changes that did."""
    future: Future[str] = Future()
    future.set_running_or_notify_cancel()
    future.set_exception(error)
    return future
