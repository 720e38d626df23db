"""DS2: every operator's parallelism in one decision from its true processing rate.

Source: Kalavri et al., "Three steps is all you need: fast, accurate, automatic scaling decisions for distributed
streaming dataflows", OSDI 2018, section 3 (the model) and 4 (the policy). An instance's true processing rate is the
records it handles per second of *useful* (busy) time, so backpressure and idle time do not hide its capacity. The
target rate of each operator is propagated from the sources through the graph by each operator's selectivity (true
output over true processing rate), and parallelism = ceil(target input rate / true processing rate per instance).
DS2 assumes instances scale linearly; on shared cores they do not, which is why it may need more than one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class Ds2Params:
    target_utilisation: float = field(default=1.0, metadata={"min": 0.05, "max": 1.0})
    """Share of the true processing rate to plan for; DS2 itself uses 1.0 (no headroom)."""
    min_busy_ms: float = field(default=20.0, metadata={"min": 0.0, "max": 1000.0})
    """Below this busy time (ms/s) the true rate is too noisy to trust and the operator is left as it is."""
    catch_up: float = field(default=0.0, metadata={"duration": True})
    """Also drain the source backlog within this many seconds (0: plan for the target rate only, as DS2)."""


class Ds2Strategy(Strategy):
    name = "ds2"
    Params = Ds2Params
    params: Ds2Params

    def decide(self, obs: Observation) -> Decision:
        if obs.target_rate is None:
            return self.keep(obs, "DS2: no target source rate measured yet")
        source_rate = obs.target_rate
        if self.params.catch_up > 0 and obs.backlog:
            source_rate += obs.backlog / self.params.catch_up
        target_out: dict[str, float | None] = {}
        new: dict[str, int] = {}
        notes: list[str] = []
        for op in obs.operators.values():
            if op.is_source:
                target_in: float | None = source_rate
            else:
                parts = [target_out.get(u) for u in op.upstream]
                target_in = None if any(x is None for x in parts) else sum(x for x in parts if x is not None)
            true_rate = op.true_rate(self.params.min_busy_ms)
            if target_in is None or true_rate is None:
                new[op.name] = op.parallelism
            else:
                wanted = target_in / (true_rate * self.params.target_utilisation)
                new[op.name] = max(1, math.ceil(wanted - 1e-9))
                if new[op.name] != op.parallelism:
                    notes.append(f"{op.name} {op.parallelism}->{new[op.name]} ({target_in:.0f}/{true_rate:.0f} r/s)")
            sel = op.selectivity
            target_out[op.name] = None if target_in is None or sel is None else target_in * sel
        if not notes:
            return self.decision(obs, new, f"DS2: source target {source_rate:.0f} r/s; every operator keeps up")
        return self.decision(obs, new, f"DS2: source target {source_rate:.0f} r/s; " + ", ".join(notes))
