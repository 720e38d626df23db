"""The run's autoscaler: the controller that strategy steps start, swap, pause and turn off.

It lives apart from the run loop so the loop reads as what it does each second; every call still comes from the
loop's thread (a step from the timeline or an intent from the app), so it needs no lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scaletui.config.models import StrategySpec
from scaletui.engine.capabilities import Capabilities, ScalingTarget, one_way_ms
from scaletui.errors import UserError
from scaletui.events import EventBus, StrategyChanged
from scaletui.scaling.strategy import Strategy

if TYPE_CHECKING:
    from scaletui.scaling.controller import ControllerStatus, ScalingController


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
        )
        self._publish()
        mode = "dry-run, " if spec.dry_run else ""
        return f"{strategy.name} ({mode}every {spec.interval:.0f}s over a {spec.window:.0f}s window)"

    def choose(self, name: str) -> str:
        """Swap to strategy `name` (conf/strategies), start the controller if none runs; "none" turns it off."""
        if name == "none":
            self.controller = None
            self.bus.publish(
                StrategyChanged(ts=self.caps.clock.now(), source="run", name="none", message="autoscaling off")
            )
            return "Autoscaling off."
        spec = self.spec.model_copy(update={"name": name})
        strategy = self.load_strategy(spec)
        if self.controller is None:
            return self.start(strategy, spec)
        self.controller.set_strategy(strategy)
        self._publish()
        return f"Strategy {name}."

    def pause(self, paused: bool) -> str:
        controller = self._require()
        if paused:
            controller.pause()
        else:
            controller.resume()
        self._publish()
        return "Autoscaler paused." if paused else "Autoscaler resumed."

    def dry_run(self, on: bool) -> str:
        self._require().set_dry_run(on)
        self._publish()
        return "Dry-run on: decisions are shown, not applied." if on else "Dry-run off: decisions apply."

    def note_manual(self, what: str) -> None:
        """A change by hand pauses the autoscaler, whatever it changes (parallelism or TaskManagers)."""
        if self.controller is not None and not self.controller.status().paused:
            self.controller.note_manual_change(what)
            self._publish()

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
                )
            )  # fmt: skip
