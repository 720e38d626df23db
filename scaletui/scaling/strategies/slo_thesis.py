"""SLO thesis: act on latency-SLO violations, scaling the slowest operators to their input rate.

Source: D. Schroeck, "Building an Optimizer for Dynamic Scaling of Stream Processing Engines", master thesis, TU
Berlin / DFKI (github.com/dominikschroeck/auto-scaler, README "The approach"; shared/seeds/003): after 3 latency
violations of a query in a row, take the top k slowest operators and set parallelism = input rate / throughput per
channel, add 2 channels to window operators, then add a compute node when the cluster runs under very high load.
Here a violation is a metrics sample whose p99 latency exceeds the SLO; "slowest" ranks operators by busy time
(the operators where records wait longest); the input rate is the rate the operator must take for the sources to
meet their target; throughput per channel is the measured records per instance per second of busy time. The thesis
only scales out, so neither does this strategy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class SloThesisParams:
    slo_ms: float = field(default=1000.0, metadata={"min": 1.0})
    """The latency SLO: a sample violates it when its p99 end-to-end latency is above this (ms)."""
    violations: int = field(default=3, metadata={"min": 1})
    """Consecutive violating samples before acting (the thesis: 3)."""
    top_k: int = field(default=2, metadata={"min": 1})
    """How many of the slowest operators to rescale in one action."""
    window_extra: int = field(default=2, metadata={"min": 0})
    """Channels added to a window operator instead of the rate formula (the thesis: 2)."""
    window_operators: tuple[str, ...] = ("window",)
    """Names of the window operators (their parallelism grows by window_extra)."""
    node_cpu_threshold: float = field(default=0.85, metadata={"min": 0.0, "max": 1.0})
    """Add one TaskManager beyond the slots needed when the busiest node's CPU use is above this share."""


class SloThesisStrategy(Strategy):
    name = "slo-thesis"
    Params = SloThesisParams
    params: SloThesisParams

    def decide(self, obs: Observation) -> Decision:
        run = 0
        for p99 in reversed(obs.p99_series):
            if p99 is None or p99 <= self.params.slo_ms:
                break
            run += 1
        if run < self.params.violations:
            return self.keep(
                obs,
                f"SLO thesis: {run} violation(s) of p99 <= {self.params.slo_ms:.0f} ms in a row, "
                f"need {self.params.violations}",
            )
        required = obs.required_rates()
        ranked = sorted(
            (op for op in obs.operators.values() if op.busy_ms is not None),
            key=lambda op: op.busy_ms or 0.0,
            reverse=True,
        )[: self.params.top_k]
        new = dict(obs.parallelism)
        notes = []
        for op in ranked:
            if op.name in self.params.window_operators:
                new[op.name] = op.parallelism + self.params.window_extra
                notes.append(f"{op.name} window +{self.params.window_extra} -> {new[op.name]}")
                continue
            per_channel = op.true_rate()
            rate = required.get(op.name)
            if per_channel is None or rate is None:
                continue
            p = max(op.parallelism, math.ceil(rate / per_channel - 1e-9))
            if p != op.parallelism:
                new[op.name] = p
                notes.append(f"{op.name} {rate:.0f}/{per_channel:.0f} r/s per channel -> {p}")
        tms = self.taskmanagers_for(new, obs)
        busiest = max(obs.node_cpu.values(), default=0.0)
        if tms is not None and busiest > self.params.node_cpu_threshold:
            tms += 1
            notes.append(f"node CPU {busiest:.0%} > {self.params.node_cpu_threshold:.0%}: +1 TaskManager")
        if obs.taskmanagers is not None and tms is not None:
            tms = max(tms, obs.taskmanagers)
        head = f"SLO thesis: {run} violations of p99 <= {self.params.slo_ms:.0f} ms in a row"
        return Decision(new, tms, head + ("; " + ", ".join(notes) if notes else "; slowest operators already sized"))
