"""Threshold: the naive baseline, the Kubernetes Horizontal Pod Autoscaler's rule applied to busy time.

Source: Kubernetes documentation, "Horizontal Pod Autoscaling", algorithm details: desired = ceil(current *
metric / target), no change while |metric / target - 1| <= tolerance (default 0.1), and a scale-down stabilisation
window (default 300 s) in which the highest recent recommendation wins. The metric here is each operator's busy
time per second; it knows nothing of the graph, so a backpressured upstream looks idle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class ThresholdParams:
    target_busy: float = field(default=0.7, metadata={"min": 0.05, "max": 1.0})
    """Busy fraction (busy ms/s divided by 1000) the rule steers each operator to."""
    tolerance: float = field(default=0.1, metadata={"min": 0.0, "max": 1.0})
    """No change while busy / target_busy is within 1 +- tolerance (HPA's default 0.1)."""
    scale_down_stabilization: float = field(default=300.0, metadata={"duration": True})
    """Scale down only to the highest recommendation of this last period (HPA's default 300 s)."""


class ThresholdStrategy(Strategy):
    name = "threshold"
    Params = ThresholdParams
    params: ThresholdParams

    def __init__(self, params: ThresholdParams | None = None) -> None:
        super().__init__(params)
        self.recommendations: dict[str, list[tuple[float, int]]] = {}

    def decide(self, obs: Observation) -> Decision:
        new: dict[str, int] = {}
        notes: list[str] = []
        for op in obs.operators.values():
            util = op.utilisation
            new[op.name] = op.parallelism
            if util is None:
                continue
            ratio = util / self.params.target_busy
            desired = (
                op.parallelism
                if abs(ratio - 1) <= self.params.tolerance
                else max(1, math.ceil(op.parallelism * ratio - 1e-9))
            )
            history = [
                (t, p)
                for t, p in self.recommendations.get(op.name, [])
                if obs.t - t < self.params.scale_down_stabilization
            ]
            history.append((obs.t, desired))
            self.recommendations[op.name] = history
            if desired < op.parallelism:
                desired = min(op.parallelism, max(p for _, p in history))
            if desired != op.parallelism:
                new[op.name] = desired
                notes.append(f"{op.name} busy {util * 1000:.0f} ms/s -> {desired} (was {op.parallelism})")
        if not notes:
            return self.decision(
                obs, new, f"Threshold: every operator within {self.params.target_busy:.0%} busy +- tolerance"
            )
        return self.decision(obs, new, f"Threshold (target {self.params.target_busy:.0%} busy): " + ", ".join(notes))
