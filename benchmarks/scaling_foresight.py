"""`predictive-foresight`: the predictive strategy told what it cannot know, as a diagnostic of where its gap to
issue 15's bar lies. Its plan's rate path is the load's own future (the profile's mean rate per plan epoch) and its
capacities are the simulator's exact ones (the oracle's, as the hindsight yardstick uses), times its
`max_utilisation`, and it sizes the operators by the oracle at the capacity its plan chose; everything else (the plan,
its prices, the control loop, the simulated restarts) is predictive's.
Where this misses the bar, no forecast or capacity model can make the plan meet it. With a `horizon_s` it is told
only that much of the future and holds the rate it will be at then (scaling_whatif's `horizon=`): how far ahead a
strategy must see to plan as well.

    .venv/bin/python benchmarks/scaling.py --strategies predictive-foresight,predictive,ds2,threshold,slo-thesis
"""

from __future__ import annotations

import math

from scaletui.cluster.simulator.model import SimConfig
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategies.predictive import PredictiveParams, PredictiveStrategy
from scaletui.scaling.strategy import Strategy
from scaletui.workload.profiles import LoadProfile

NAME = "predictive-foresight"


class ForesightPredictive(PredictiveStrategy):
    def __init__(
        self,
        params: PredictiveParams,
        profile: LoadProfile,
        capacities: list[float],
        config: SimConfig,
        horizon_s: float | None = None,
    ) -> None:
        super().__init__(params)
        self.profile, self.exact, self.config, self.horizon_s = profile, capacities, config, horizon_s
        self._now = 0.0

    def decide(self, obs: Observation) -> Decision:
        self._now = obs.sample_times[-1] if obs.sample_times else obs.t
        return super().decide(obs)

    def _rate_path(self, level: float, epochs: int, quantile: float) -> tuple[tuple[float, ...], int]:
        """The true mean rate of each epoch; past `horizon_s`, the true rate at the horizon, held."""
        step = max(1, int(self.params.epoch))
        seen = math.inf if self.horizon_s is None else self.horizon_s
        path = []
        for k in range(epochs):
            if k * step < seen:
                path.append(sum(self.profile.rate_at(self._now + k * step + i) for i in range(step)) / step)
            else:
                path.append(self.profile.rate_at(self._now + seen))
        return tuple(path), 0

    def _capacities(self, obs: Observation, measured: list[str], share: dict[str, float], enough: float) -> list[float]:
        limit = len(self.exact) if obs.slot_limit is None else max(1, min(obs.slot_limit, len(self.exact)))
        return [self.params.max_utilisation * c for c in self.exact[:limit]]

    def _sizing(
        self, obs: Observation, slots: int, capacity: float, share: dict[str, float], rate: float
    ) -> dict[str, int]:
        """The oracle's parallelism for the exact capacity at `slots` (the learned models, which the base class
        sizes with, disagree with the exact capacities the plan chose by)."""
        sized = oracle_parallelism(self.config, self.exact[slots - 1]) or {}
        return {name: min(slots, sized.get(name, op.parallelism)) for name, op in obs.operators.items()}


def foresight_strategy(
    base: Strategy, profile: LoadProfile, config: SimConfig, horizon_s: float | None = None
) -> ForesightPredictive:
    """`base`'s parameters (conf/strategies/predictive.toml, maybe overridden) with the load's future (`horizon_s` of
    it, or all the plan looks at) and the exact capacities."""
    from scaling_hindsight import mst_table

    assert isinstance(base, PredictiveStrategy)
    key = repr(config)
    if key not in _MST:
        _MST[key] = mst_table(config, config.max_taskmanagers * config.slots_per_taskmanager)
    return ForesightPredictive(base.params, profile, _MST[key], config, horizon_s)


_MST: dict[str, list[float]] = {}
"""Exact capacities per simulator configuration (a bisection on the oracle: seconds each)."""
