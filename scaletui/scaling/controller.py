"""The control loop: observe over a metrics window, decide, act through the cluster protocol, cool down.

One sample per `sample_period`; a decision every `interval` once the window holds `window` seconds of samples taken
since the last rescale; after a rescale, nothing for `cooldown`. The experiment's guard rails (`guard`) clamp every
decision; they, the interval, the window and the cooldown can be changed while it runs (`set_loop`). In dry-run,
decisions are published but not applied. A change by hand (`note_manual_change`, which the engine calls for every
rescale or TaskManager change a user makes, or a parallelism change seen in the metrics that the loop did not make)
pauses the loop until `resume`. While its own actuation runs, `status().acting` says so, and what the job settles at
afterwards is taken as the loop's own doing, not a hand change. The strategy can be swapped while it runs. The clock
is injected: `WallClock` live, the simulator's clock in simulations, where sleeping advances simulated time.

Given an `ActuationThread` (wall clocks), the loop hands each actuation to it and `tick` goes on sampling meanwhile,
deciding nothing until it ends, so whoever ticks the loop (the run loop) keeps its own timeline.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping

from scaletui.cluster.base import ClusterBackend
from scaletui.config.models import TIMING_LIMITS, StrategySpec
from scaletui.errors import UserError
from scaletui.events import USER_PAUSE, DecisionEvent, ErrorEvent, EventBus, Notice
from scaletui.metrics.model import JobSample
from scaletui.scaling.actuation import ActuationThread, act, acting_text
from scaletui.scaling.clock import Clock, WallClock
from scaletui.scaling.guard import guard
from scaletui.scaling.observation import Decision, Observation, TopologySource, build_observation
from scaletui.scaling.status import ControllerStatus, settings_text
from scaletui.scaling.strategy import Strategy

log = logging.getLogger(__name__)
SETTLE_S = 5.0
"""After an actuation, samples this much younger than its end may still show the old parallelism (metrics lag)."""
LatencyModel = Callable[[], "dict[str, dict[str, float]] | None"]


class ScalingController:
    """Drives one `ClusterBackend` with one `Strategy`; `start()` runs it in a background thread."""

    def __init__(
        self,
        cluster: ClusterBackend,
        strategy: Strategy,
        spec: StrategySpec | None = None,
        bus: EventBus | None = None,
        clock: Clock | None = None,
        sample_period: float = 1.0,
        topology: TopologySource | None = None,
        latency: LatencyModel | None = None,
        actuation_thread: ActuationThread | None = None,
        outside_cause: Callable[[], str] | None = None,
    ) -> None:
        """`topology` (the operator graph, slot placement) defaults to the cluster's when it offers one; `latency`
        gives measured node-to-node one-way delays (Consul, probes), else the topology's model is used;
        `actuation_thread` runs actuations off the caller's thread (wall clocks only); `outside_cause` names what
        else may change the parallelism now (the faults active on TaskManagers), "" when nothing."""
        self.cluster = cluster
        self.topology = topology if topology is not None else (cluster if isinstance(cluster, TopologySource) else None)
        self.latency = latency
        self.spec = spec or StrategySpec.model_validate({"name": strategy.name})
        self.bus = bus or EventBus()
        self.clock = clock or WallClock()
        self.sample_period = sample_period
        self.actuation_thread = actuation_thread
        self.outside_cause = outside_cause
        self._strategy = strategy
        self._dry_run = self.spec.dry_run
        self._paused = False
        self._pause_reason = ""
        self._lock = threading.RLock()
        self._samples: deque[JobSample] = deque(maxlen=self._samples_kept())
        self._since: float | None = None
        self._next_at: float | None = None
        self._expected: dict[str, int] | None = None
        self._last_seen: dict[str, int] | None = None
        self._last_decision: DecisionEvent | None = None
        self._acting = ""
        self._acting_since = 0.0
        self._settle_until = 0.0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    # --- control from the UI / script -------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a daemon thread until `stop()`."""
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._cancel = threading.Event()
            self._thread = threading.Thread(
                target=self.run, args=(self._cancel,), name="scaling-controller", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._cancel.set()
        thread = self._thread
        if thread and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def pause(self, reason: str = USER_PAUSE) -> None:
        with self._lock:
            self._paused, self._pause_reason = True, reason
        self.bus.publish(Notice(ts=self.clock.now(), source="scaling", message=f"Scaling loop paused: {reason}."))

    def resume(self) -> None:
        """Resume after a pause; the window restarts so no decision rests on samples from before."""
        with self._lock:
            self._paused, self._pause_reason = False, ""
            self._restart_window(self.clock.now())
            self._expected = self._last_seen
        self.bus.publish(Notice(ts=self.clock.now(), source="scaling", message="Scaling loop resumed."))

    def note_manual_change(self, what: str = "parallelism changed by hand") -> None:
        """The engine calls this for every change a user makes by hand: the loop pauses until resumed, and what
        the job settles at is taken as the new normal, not as a change from outside."""
        with self._lock:
            self._expected = None
            self._settle_until = self.clock.now() + SETTLE_S
        self.pause(f"{what}; resume to let {self.strategy.name} decide again")

    def set_strategy(self, strategy: Strategy) -> None:
        with self._lock:
            self._strategy = strategy
            self._restart_window(self.clock.now())
        self.bus.publish(
            Notice(ts=self.clock.now(), source="scaling", message=f"Scaling strategy is now {strategy.name}.")
        )

    def set_loop(self, values: Mapping[str, float]) -> None:
        """New settings of the loop (checked by `check_loop`). The next decision is clamped to the guard rails given.
        A new interval, window or cooldown restarts the window, as for a new strategy, so the next decision reads a
        whole window of the new length; during an actuation, the cooldown after it is the new one."""
        with self._lock:
            self.spec = self.spec.model_copy(update=dict(values))
            self._samples = deque(self._samples, maxlen=self._samples_kept())
            if not self._acting and values.keys() & TIMING_LIMITS.keys():
                self._restart_window(self.clock.now())

    def _samples_kept(self) -> int:
        """How many samples the buffer holds: four windows' worth, so the window since the last rescale is whole."""
        return max(8, int(self.spec.window / self.sample_period) * 4)

    def set_dry_run(self, dry_run: bool) -> None:
        with self._lock:
            self._dry_run = dry_run

    @property
    def strategy(self) -> Strategy:
        return self._strategy

    def time_to_next_decision(self) -> float | None:
        """Seconds until the next decision (by the loop's clock); None while paused, acting, or before the first
        sample."""
        with self._lock:
            if self._paused or self._acting or self._next_at is None:
                return None
            return max(0.0, self._next_at - self.clock.now())

    def status(self) -> ControllerStatus:
        with self._lock:
            return ControllerStatus(
                strategy=self._strategy.name,
                running=self.running,
                paused=self._paused,
                pause_reason=self._pause_reason,
                dry_run=self._dry_run,
                next_decision_in=self.time_to_next_decision(),
                last_decision=self._last_decision,
                acting=self._acting,
                acting_for=self.clock.now() - self._acting_since if self._acting else None,
                settings=self.settings(),
            )

    def settings(self) -> str:
        """What this loop runs with, for the strategy line."""
        return settings_text(self.spec, self._strategy.params)

    # --- the loop ----------------------------------------------------------------------------------------

    def run(self, cancel: threading.Event, until: float | None = None) -> None:
        """Sample, and decide when due, until `cancel` is set (or the clock reaches `until`)."""
        while not cancel.is_set() and (until is None or self.clock.now() < until):
            try:
                self.tick()
            except UserError as e:
                self.bus.publish(ErrorEvent(ts=self.clock.now(), source="scaling", message=e.message, hint=e.hint))
            except Exception as e:  # the loop must outlive one bad sample or one failed actuation
                log.exception("scaling loop step failed")
                self.bus.publish(
                    ErrorEvent(ts=self.clock.now(), source="scaling", message=f"Scaling step failed: {e}.")
                )
            if self.clock.sleep(self.sample_period, cancel):
                break

    def tick(self) -> DecisionEvent | None:
        """One sample; a decision (returned and published) when one is due."""
        now = self.clock.now()
        sample = self.cluster.sample()
        with self._lock:
            if not sample.stale and sample.operators and (not self._samples or sample.ts > self._samples[-1].ts):
                self._samples.append(sample)
                self._watch_parallelism(sample)
            if self._since is None:
                self._restart_window(now)
            due = self._next_at is not None and now >= self._next_at - 1e-9
            if self._paused or not due or self._acting or self._actuation_busy():
                return None
            since = self._since if self._since is not None else now
            window = [s for s in self._samples if s.ts > max(since, now - self.spec.window) + 1e-9]
            if not window or window[-1].ts - window[0].ts + self.sample_period < self.spec.window * 0.8:
                return None
            strategy, dry_run = self._strategy, self._dry_run
        obs = self._observe(window)
        if obs is None:
            return None
        return self._decide(strategy, obs, dry_run)

    def _restart_window(self, now: float) -> None:
        self._since = now
        self._next_at = now + max(self.spec.interval, self.spec.window)

    def _watch_parallelism(self, sample: JobSample) -> None:
        """Pause when the parallelism moves in a way the loop did not ask for (a change from outside scaletui).

        Samples taken while the loop acts, or just after (metrics lag a few seconds), may show any step between the
        old and the new parallelism: they only move the baseline."""
        seen = sample.parallelism
        previous, expected = self._last_seen, self._expected
        self._last_seen = seen
        if self._acting or sample.ts < self._settle_until:
            return
        if expected is None:
            self._expected = seen
            return
        if self._paused or previous is None or seen in (previous, expected):
            return
        towards = all(
            min(previous.get(k, v), expected.get(k, v)) <= v <= max(previous.get(k, v), expected.get(k, v))
            for k, v in seen.items()
        )
        if not towards:
            cause = self.outside_cause() if self.outside_cause is not None else ""
            why = f"the job failed over under a fault, {cause}" if cause else "parallelism changed outside the loop"
            self._paused, self._pause_reason = True, f"{why} ({seen})"
            self.bus.publish(
                Notice(
                    ts=self.clock.now(),
                    source="scaling",
                    message=f"Scaling loop paused: {self._pause_reason}.",
                    level="warning",
                )
            )

    def _observe(self, window: list[JobSample]) -> Observation | None:
        topo = self.topology
        measured = self.latency() if self.latency is not None else None
        spec, last = self.spec, window[-1]
        spt = last.total_slots // last.taskmanagers if last.total_slots and last.taskmanagers else None
        slot_limit = min(spec.max_parallelism, spec.max_slots, spec.max_taskmanagers * spt if spt else spec.max_slots)
        return build_observation(
            window,
            edges=topo.edges() if topo else None,
            slot_nodes=topo.slot_nodes() if topo else (),
            latency_matrix=measured if measured is not None else topo.latency_matrix() if topo else None,
            slot_limit=slot_limit,
        )

    def _actuation_busy(self) -> bool:
        return self.actuation_thread is not None and self.actuation_thread.busy()

    def _decide(self, strategy: Strategy, obs: Observation, dry_run: bool) -> DecisionEvent | None:
        """Decide and publish; a change is published at once as in progress, then applied here, or handed to the
        actuation thread (then None: the decision is published again when the actuation ends, with its outcome,
        stamped with the time it was made)."""
        decided_at = self.clock.now()
        decision, notes = guard(self.spec, strategy.decide(obs), obs)
        changes = decision.changes(obs.parallelism)
        tm_change = (
            decision.taskmanagers is not None
            and obs.taskmanagers is not None
            and decision.taskmanagers != obs.taskmanagers
        )
        reason = decision.reason + (f" [guard rails: {'; '.join(notes)}]" if notes else "")
        if not (changes or tm_change) or dry_run:
            with self._lock:
                self._next_at = self.clock.now() + self.spec.interval
            return self._publish(strategy, decision, obs, reason, applied=False, rescale_s=None,
                                 dry_run=dry_run and bool(changes or tm_change))  # fmt: skip
        with self._lock:
            self._acting = acting_text(changes, obs, decision.taskmanagers if tm_change else None)
            self._acting_since = decided_at
        self._publish(strategy, decision, obs, reason, applied=False, rescale_s=None, decided_at=decided_at,
                      in_progress=True)  # fmt: skip
        if self.actuation_thread is None:
            return self._apply(strategy, decision, changes, obs, reason)
        self.actuation_thread.start(lambda: self._apply_reporting(strategy, decision, changes, obs, reason))
        return None

    def _apply_reporting(
        self, strategy: Strategy, decision: Decision, changes: dict[str, int], obs: Observation, reason: str
    ) -> None:
        """`_apply` in the actuation thread, where no caller is left to hear its failure: it goes on the bus."""
        try:
            self._apply(strategy, decision, changes, obs, reason)
        except UserError as e:
            self.bus.publish(ErrorEvent(ts=self.clock.now(), source="scaling", message=e.message, hint=e.hint))
        except Exception as e:
            log.exception("scaling actuation failed")
            self.bus.publish(ErrorEvent(ts=self.clock.now(), source="scaling", message=f"Scaling step failed: {e}."))

    def _apply(
        self, strategy: Strategy, decision: Decision, changes: dict[str, int], obs: Observation, reason: str
    ) -> DecisionEvent:
        """Act, then restart the window from the actuation's end; a failed actuation is published, then raised. The
        decision keeps the time it was made (`rescale_s` says how long acting took): history, plots and replays
        place it before a fault that came while it was applied."""
        started, applied, failure = self.clock.now(), False, None
        try:
            act(self.cluster, self.bus, decision, changes, obs)
            applied = True
        except Exception as e:  # any failure ends the decision shown in progress with its outcome
            failure = e
            reason += f" [not applied: {e.message if isinstance(e, UserError) else e}]"
        finally:
            ended = self.clock.now()
            with self._lock:
                self._acting, decided_at = "", self._acting_since
                self._expected = None  # the next settled sample is the loop's own doing
                self._settle_until = ended + SETTLE_S
                self._since = ended
                self._next_at = ended + max(self.spec.interval, self.spec.cooldown)
        event = self._publish(strategy, decision, obs, reason, applied, ended - started, decided_at=decided_at)
        if applied:
            strategy.applied(decision, obs, ended)
        if failure is not None:
            raise failure
        return event

    def _publish(
        self,
        strategy: Strategy,
        decision: Decision,
        obs: Observation,
        reason: str,
        applied: bool,
        rescale_s: float | None,
        dry_run: bool = False,
        decided_at: float | None = None,
        in_progress: bool = False,
    ) -> DecisionEvent:
        """The decision on the bus, and as the strategy line's last one (while in progress too: the line names what
        the loop is carrying out)."""
        event = DecisionEvent(
            ts=self.clock.now() if decided_at is None else decided_at,
            source="scaling",
            strategy=strategy.name,
            parallelism=dict(decision.parallelism),
            taskmanagers=decision.taskmanagers,
            reason=reason,
            applied=applied,
            dry_run=dry_run,
            inputs=obs.summary(),
            rescale_s=rescale_s,
            before=dict(obs.parallelism),
            taskmanagers_before=obs.taskmanagers,
            in_progress=in_progress,
        )
        with self._lock:
            self._last_decision = event
        self.bus.publish(event)
        return event
