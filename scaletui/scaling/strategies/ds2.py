"""DS2: every operator's parallelism in one decision from its true processing rate.

Source: Kalavri et al., "Three steps is all you need: fast, accurate, automatic scaling decisions for distributed
streaming dataflows", OSDI 2018, section 3 (the model) and 4 (the policy). An instance's true processing rate is the
records it handles per second of *useful* (busy) time, so backpressure and idle time do not hide its capacity. The
target rate of each operator is propagated from the sources through the graph by each operator's selectivity (true
output over true processing rate), and parallelism = ceil(target input rate / true processing rate per instance).
DS2 assumes instances scale linearly; on shared cores they do not, which is why it may need more than one step.

One change, `memory`: DS2 remembers the parallelisms it saw fall behind. DS2 takes the mean true rate of an
operator's instances at p as what each of ceil(target / rate) instances will get; on shared nodes it is not (slot
sharing puts the first instance of every operator on the first node, so instances there are slower, and an input
split evenly waits for the slowest). At a steady rate DS2 at p then asks for p - 1, and at p - 1, falling behind,
asks for p again: a restart every interval (seen on the simulator at 900 r/s: 4 -> 3 -> 4 every 30 s, the true rate
~320 r/s per instance at p = 4 but ~285 at p = 3, whose latency climbed to 16 s). So when DS2, running an operator at
q, asks for more than q, "q fell behind at rate r" is kept, and no scale-down goes to q or below while the target
rate is within RATE_TOLERANCE of r or above; a record is forgotten `memory` seconds after it last held one back, or
at once when q is seen keeping up at r. Scale-ups are DS2's own. This is the damping DS2 deployments add to the bare
policy: DS2's own scaling manager re-adjusts a configuration seen not to reach its target rate
(`target_rate_ratio_threshold`, and `activation_time`, a decision repeated before it is applied, which alone only
slows this loop; strymon-system/ds2, controller/config/ds2.toml), and the DS2-based autoscaler of the Flink
Kubernetes operator holds a vertex's scale-down for `scale-up.grace-period` after a scale-up; here the hold is tied
to the rate the smaller parallelism was seen to miss rather than to a clock alone. `memory = 0`, the default, is DS2
as published: it stays the baseline the benchmarks measure against (issue 15's bar counts DS2's own rescales), and
an experiment turns the memory on (`memory = "10m"`, as conf/experiments/sim-timeline.toml does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy

RATE_TOLERANCE = 0.05
"""A target rate within 5 % of one a parallelism fell behind at counts as that rate (the measurement noise)."""


@dataclass(frozen=True)
class Ds2Params:
    target_utilisation: float = field(default=1.0, metadata={"min": 0.05, "max": 1.0})
    """Share of the true processing rate to plan for; DS2 itself uses 1.0 (no headroom)."""
    min_busy_ms: float = field(default=20.0, metadata={"min": 0.0, "max": 1000.0})
    """Below this busy time (ms/s) the true rate is too noisy to trust and the operator is left as it is."""
    catch_up: float = field(default=0.0, metadata={"duration": True})
    """Also drain the source backlog within this many seconds (0: plan for the target rate only, as DS2)."""
    memory: float = field(default=0.0, metadata={"duration": True})
    """A parallelism seen to fall behind at a rate is not scaled down to while the rate stays that high, and is
    forgotten this many seconds after it last held a scale-down back (0: never remembered, DS2 as published)."""


class Ds2Strategy(Strategy):
    name = "ds2"
    Params = Ds2Params
    params: Ds2Params

    def __init__(self, params: Ds2Params | None = None) -> None:
        super().__init__(params)
        self.fell_behind: dict[str, dict[int, tuple[float, float]]] = {}
        """Per operator: parallelism -> (the lowest target rate it was seen to fall behind at, when)."""

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
                asked = max(1, math.ceil(wanted - 1e-9))
                held = self._remember(op.name, op.parallelism, asked, target_in, obs.t)
                new[op.name] = asked if held is None else max(asked, held[0] + 1)
                rates = f"{target_in:.0f}/{true_rate:.0f} r/s"
                if held is not None:
                    move = (
                        f"stays {op.parallelism}"
                        if new[op.name] == op.parallelism
                        else f"{op.parallelism}->{new[op.name]}"
                    )
                    notes.append(f"{op.name} {move} ({rates} asks {asked}; {held[0]} fell behind at {held[1]:.0f} r/s)")
                elif new[op.name] != op.parallelism:
                    notes.append(f"{op.name} {op.parallelism}->{new[op.name]} ({rates})")
            sel = op.selectivity
            target_out[op.name] = None if target_in is None or sel is None else target_in * sel
        if not notes:
            return self.decision(obs, new, f"DS2: source target {source_rate:.0f} r/s; every operator keeps up")
        return self.decision(obs, new, f"DS2: source target {source_rate:.0f} r/s; " + ", ".join(notes))

    def _remember(self, name: str, current: int, wanted: int, rate: float, now: float) -> tuple[int, float] | None:
        """Record what this observation shows, and say which remembered parallelism (and at what rate) forbids
        scaling `name` down from `current` to `wanted`, if one does."""
        if self.params.memory <= 0:
            return None
        seen = {p: (r, at) for p, (r, at) in self.fell_behind.get(name, {}).items() if now - at <= self.params.memory}
        if wanted > current:  # running at `current`, DS2 sees it cannot keep up with `rate`
            lowest = min(rate, seen[current][0]) if current in seen else rate
            seen[current] = (lowest, now)
        else:  # `current` keeps up with `rate`: what said it (or more) fell behind at this rate or less is wrong
            seen = {p: (r, at) for p, (r, at) in seen.items() if p < current or r > rate}
        self.fell_behind[name] = seen
        if wanted >= current:
            return None
        blocking = [(p, r) for p, (r, _) in seen.items() if wanted <= p < current and r <= rate * (1 + RATE_TOLERANCE)]
        if not blocking:
            return None
        held = max(blocking)
        seen[held[0]] = (held[1], now)  # still what keeps the operator up: forgotten `memory` after it last mattered
        return held
