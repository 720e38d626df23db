"""The run's autoscaler: the controller that strategy steps start, swap, pause and turn off.

It lives apart from the run loop so the loop reads as what it does each second; every call still comes from the
loop's thread (a step from the timeline or an intent from the app), so it needs no lock. On a wall clock the
controller's actuations run in one `ActuationThread` beside the loop: a rescale that takes a minute no longer holds
the timeline's faults and load steps, nor the user's keys. What must not overlap it (a rescale or TaskManager change
by hand, a job submitted or cancelled, the run's end) waits for it with `wait_idle`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scaletui.config.models import StrategySpec
from scaletui.engine.capabilities import Capabilities, ScalingTarget, one_way_ms
from scaletui.errors import UserError
from scaletui.events import EventBus, Notice, StrategyChanged
from scaletui.scaling.strategy import Strategy

if TYPE_CHECKING:
    from scaletui.scaling.actuation import ActuationThread
    from scaletui.scaling.controller import ControllerStatus, ScalingController

IDLE_WAIT_S = 900.0
"""The longest wait for the autoscaler's actuation: every backend bounds its own (a testbed's rescale_timeout_s, 180 s
by default; the local cluster's 90 s), so this only catches one that never returns."""


class RunAutoscaler:
    """At most one `ScalingController` on the capability set's actuation, and the StrategyChanged events the app
    shows of it."""

    def __init__(
        self,
        caps: Capabilities,
        spec: StrategySpec,
        bus: EventBus,
        load_strategy: Callable[[StrategySpec], Strategy],
    ) -> None:
        """`spec` is the plan's strategy settings, which a strategy chosen later keeps (interval, window, bounds)."""
        self.caps = caps
        self.spec = spec
        self.bus = bus
        self.load_strategy = load_strategy
        self.controller: ScalingController | None = None
        self.actuation: ActuationThread | None = None
        self.params: dict[str, object] = dict(spec.params)
        """The running strategy's overrides of its file's parameters (the plan's, or those it was chosen with)."""
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
        )
        self._publish()
        mode = "dry-run, " if spec.dry_run else ""
        return f"{strategy.name} ({mode}every {spec.interval:.0f}s over a {spec.window:.0f}s window)"

    def choose(self, name: str, params: dict[str, object] | None = None) -> str:
        """Swap to strategy `name` (conf/strategies) with `params` over the plan's, start the controller if none
        runs; "none" turns it off."""
        if name == "none":
            self.controller = None
            self.bus.publish(
                StrategyChanged(ts=self.caps.clock.now(), source="run", name="none", message="autoscaling off")
            )
            return "Autoscaling off."
        spec = self.spec.switched_to(name, params)
        strategy = self.load_strategy(spec)
        self.params = dict(spec.params)
        if self.controller is None:
            return self.start(strategy, spec)
        self.controller.set_strategy(strategy)
        self._publish()
        if self.controller.status().paused:
            return f"Strategy {name}, paused as the one before: resume it (space in Plots, :resume) to let it decide."
        return f"Strategy {name}."

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

    def note_manual(self, what: str) -> None:
        """A change by hand pauses the autoscaler, whatever it changes (parallelism or TaskManagers)."""
        if self.controller is not None and not self.controller.status().paused:
            self.controller.note_manual_change(what)
            self._publish()

    def wait_idle(self, before: str) -> None:
        """Let the autoscaler's running actuation end before `before` ("the run ends"), saying so when it must wait."""
        if self.actuation is None or not self.actuation.busy():
            return
        status = self.status()
        acting = status.acting if status is not None and status.acting else "rescaling"
        self.bus.publish(
            Notice(ts=self.caps.clock.now(), source="run",
                   message=f"Waiting for the autoscaler ({acting}) to finish before {before}.")
        )  # fmt: skip
        if not self.actuation.wait(IDLE_WAIT_S):
            raise UserError(
                f"The autoscaler's actuation ({acting}) has not ended after {IDLE_WAIT_S:.0f}s.",
                "See the Pods pane and the session log; the platform may be stuck.",
            )

    def tick(self) -> None:
        if self.controller is not None:
            self.controller.tick()

    def _require(self) -> ScalingController:
        if self.controller is None:
            raise UserError("No autoscaler is running.", "Choose a strategy first (a in Plots).")
        return self.controller

    def _publish(self) -> None:
        status = self.status()
        if status is not None:
            self.bus.publish(
                StrategyChanged(
                    ts=self.caps.clock.now(), source="run", name=status.strategy, paused=status.paused,
                    dry_run=status.dry_run, message=status.pause_reason, settings=status.settings,
                    params=dict(self.params),
                )
            )  # fmt: skip
