"""Predictive: plan the parallelism for the rate expected over the next minutes, from capacities it has measured.

What it does, and where each part comes from:

- Capacity per parallelism is learned, not assumed linear (`capacity_model`): Transscale's MST(p) = alpha * p^beta
  (Scalehub's scaler; beta fitted, so the sublinear scaling of shared nodes is learned), measured at every
  parallelism an operator has run at and reused there, as ContTune (Lian et al., VLDB 2023) keeps its (parallelism,
  processing ability) observations per operator; never falling as p grows (StreamTune, Han et al., 2025: the
  monotonic constraint); with node CPU correcting busy time on shared nodes, where DS2's linear model (Kalavri et
  al., OSDI 2018) over-trusts extra slots.
- It forecasts (`rate_forecast`): the rate now plus a damped trend, since a decision pays off only after the metrics
  window, the rescale downtime and the catch-up.
- It plans (`rescale_plan`): the next `plan_horizon` in epochs of `epoch` seconds, least slot-seconds plus
  `rescale_cost` slot-seconds per rescale, so a rising load is met in fewer, larger steps and a small saving is not
  worth a restart. ContTune reports ~60 % fewer reconfigurations than DS2 and StreamTune ~30 % by not re-deciding
  from scratch every window; this is the same aim, reached by pricing each reconfiguration.
- It drains backlog: records queued (the source backlog, or p99 latency times the rate where queues between
  operators hold them) and those piling up while TaskManagers start are drained within `drain_time`, and a
  rescale's own downtime is caught up in the epoch it happens (the Flink operator autoscaler's catch-up and
  restart-time terms, job.autoscaler.catch-up.duration and restart.time, with seconds instead of its 30 minutes).
- It scales down lazily, in proportion to the saving: to q slots fewer only once the rate has stayed under what q
  sustains, with `down_margin` to spare, for `down_delay` / q seconds, and with nothing queued. (The Flink
  operator's users needed a 1 h job.autoscaler.scale-down.interval to stop 20+ rescales a day; one fixed delay
  either keeps five idle slots as long as one or flaps on one.)
- TaskManagers stay for `taskmanager_linger` after their slots were last needed: starting one takes 15-25 s
  (shared/notes/flink-local.md) that a returning load would wait through with a growing backlog.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation, OperatorObservation
from scaletui.scaling.strategies import rescale_plan
from scaletui.scaling.strategies.capacity_model import CapacityModel
from scaletui.scaling.strategies.rate_forecast import RateForecast
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class PredictiveParams:
    headroom: float = field(default=0.03, metadata={"min": 0.0, "max": 2.0})
    """Plan for the forecast rate times (1 + headroom)."""
    plan_horizon: float = field(default=300.0, metadata={"duration": True})
    """The plan covers the forecast this far ahead."""
    epoch: float = field(default=30.0, metadata={"duration": True, "min": 1.0})
    """The plan's step: about the time from one decision to the next one that can act (interval, cooldown,
    rescale)."""
    rescale_cost: float = field(default=240.0, metadata={"min": 0.0})
    """What one rescale costs in the plan, in slot-seconds (its downtime and the catch-up after it)."""
    drain_time: float = field(default=40.0, metadata={"duration": True, "min": 1.0})
    """A scale-up also drains, within this long, the backlog expected once the new capacity is in place."""
    rescale_time: float = field(default=2.0, metadata={"duration": True})
    """Expected time from decision to new capacity without new TaskManagers, until one rescale was measured."""
    taskmanager_start: float = field(default=20.0, metadata={"duration": True})
    """Expected time from decision to new capacity when TaskManagers must start, until one was measured."""
    drain_threshold: float = field(default=0.5, metadata={"min": 0.0})
    """Backlog is drained only while it holds at least this many seconds of input."""
    down_margin: float = field(default=0.2, metadata={"min": 0.0, "max": 5.0})
    """Scale down only to a parallelism whose MST covers the recent peak times (1 + down_margin): the spare
    capacity that catches up the rescale's own downtime quickly."""
    down_delay: float = field(default=60.0, metadata={"duration": True})
    """Scale down from p to q only once the rate has stayed below what q sustains for down_delay / (p - q): a
    large saving is taken quickly, a one-slot saving only after the whole delay."""
    taskmanager_linger: float = field(default=1800.0, metadata={"duration": True})
    """TaskManagers stay this long after their slots were last needed."""
    beta_prior: float = field(default=0.5, metadata={"min": 0.05, "max": 1.0})
    """Scaling exponent before two parallelisms of an operator have been measured (1.0: linear)."""
    beta_min: float = field(default=0.3, metadata={"min": 0.05, "max": 1.0})
    """The fitted exponent is kept at or above this."""
    min_util: float = field(default=0.15, metadata={"min": 0.01, "max": 1.0})
    """Windows where an operator used less than this share of its capacity measure nothing."""
    trend_window: float = field(default=120.0, metadata={"duration": True})
    """The trend of the target rate is fitted over this last period."""
    level_window: float = field(default=1.0, metadata={"duration": True, "min": 1.0})
    """The rate now is the mean target rate of this last period (short: a burst shows at once)."""


class PredictiveStrategy(Strategy):
    name = "predictive"
    Params = PredictiveParams
    params: PredictiveParams

    def __init__(self, params: PredictiveParams | None = None) -> None:
        super().__init__(params)
        self.models: dict[str, CapacityModel] = {}
        self.forecast = RateForecast(level_window=self.params.level_window, trend_window=self.params.trend_window)
        self.lead = {False: self.params.rescale_time, True: self.params.taskmanager_start}
        """Measured time from decision to new capacity, without and with TaskManagers to start."""
        self.slot_needs: list[tuple[float, int]] = []

    def model(self, name: str) -> CapacityModel:
        if name not in self.models:
            p = self.params
            self.models[name] = CapacityModel(beta_prior=p.beta_prior, beta_min=p.beta_min, min_util=p.min_util)
        return self.models[name]

    def learn(self, obs: Observation) -> None:
        busiest = max((op.busy_ms or 0.0 for op in obs.operators.values()), default=0.0)
        for op in obs.operators.values():
            rate = op.processed_rate
            if rate is None or op.busy_ms is None:
                continue
            share = self._cpu_share(obs, op) if op.busy_ms >= 0.8 * busiest else None
            self.model(op.name).observe(op.parallelism, rate, op.busy_ms / 1000.0, share, obs.t)

    @staticmethod
    def _cpu_share(obs: Observation, op: OperatorObservation) -> float | None:
        """CPU used over CPU available on the busiest node hosting the operator, where the backend says which node
        hosts which slot (the simulator; not local Flink, whose TaskManagers' JVM load includes their own upkeep)."""
        if not obs.node_cpu or not obs.slot_nodes:
            return None  # without the placement, a TaskManager's CPU cannot be put on an operator
        shares = [obs.node_cpu[n] for n in set(obs.slot_nodes[: op.parallelism]) if n in obs.node_cpu]
        return max(shares) if shares else None

    def decide(self, obs: Observation) -> Decision:
        p = self.params
        self.forecast.add(obs.sample_times, obs.target_series)
        self.learn(obs)
        level = self.forecast.level()
        if level is None:
            level = obs.target_rate
        if level is None:
            return self.keep(obs, "Predictive: no target source rate measured yet")
        share = {name: r or 0.0 for name, r in obs.required_rates(1.0).items()}
        queued = self._queued(obs, level)
        epochs = max(1, math.ceil(p.plan_horizon / p.epoch))
        needs = [
            max(level if k == 0 else 0.0, self.forecast.peak_between(k * p.epoch, (k + 1) * p.epoch) or level)
            * (1 + p.headroom)
            for k in range(epochs)
        ]
        current = dict(obs.parallelism)
        drain = 0.0
        for with_tms in (False, True):
            backlog = self._backlog_at_effect(obs, level, needs[0], queued, self.lead[with_tms])
            drain = backlog / p.drain_time if backlog >= p.drain_threshold * max(level, 1.0) else 0.0
            chosen = rescale_plan.plan(
                current,
                [needs[0] + drain] + needs[1:],
                p.epoch,
                lambda rate: self._sizing(obs, rate, share),
                lambda vec, rate: self._covers(obs, vec, rate, share),
                p.rescale_cost,
                lambda vec, k: self._may_shrink_to(obs, vec, share, queued, level, k * p.epoch),
                change_extra=self.lead[False] / p.drain_time,
            )
            needed = self.taskmanagers_for(chosen.first, obs)
            if with_tms or needed is None or obs.taskmanagers is None or needed <= obs.taskmanagers:
                break
        new = chosen.first
        tms = self._taskmanagers(new, obs)
        head = (
            f"Predictive: rate {level:.0f} r/s, epochs need "
            + "/".join(f"{n:.0f}" for n in needs)
            + (f", +{drain:.0f} r/s to drain {queued:.0f} queued" if drain else "")
            + " ; plan slots "
            + "/".join(str(x) for x in chosen.steps)
        )
        changes = [f"{name} {obs.parallelism[name]}->{q}" for name, q in new.items() if q != obs.parallelism[name]]
        return Decision(new, tms, head + ("; " + ", ".join(changes) if changes else "; keep"))

    def _sizing(self, obs: Observation, rate: float, share: dict[str, float]) -> dict[str, int]:
        """The least parallelism per operator covering its share of `rate` (unmeasured operators stay)."""
        out = {}
        for op in obs.operators.values():
            model = self.model(op.name)
            if model.predict(op.parallelism) is None or share.get(op.name, 0.0) <= 0:
                out[op.name] = op.parallelism
            else:
                out[op.name] = model.smallest_covering(rate * share[op.name], op.max_parallelism)
        return out

    def _covers(self, obs: Observation, vec: dict[str, int], rate: float, share: dict[str, float]) -> bool:
        """Every operator's predicted MST covers its share of `rate`; one at its max parallelism counts as covering
        (nothing more can be done for it)."""
        for name, q in vec.items():
            model = self.model(name)
            mst = model.predict(q)
            short = mst is not None and share.get(name, 0.0) > 0 and mst < rate * share[name] * (1 - 1e-9)
            if short and q < obs.operators[name].max_parallelism:
                return False
        return True

    def _may_shrink_to(
        self, obs: Observation, vec: dict[str, int], share: dict[str, float], queued: float, level: float, at: float
    ) -> bool:
        """Lazy scale-down, `at` seconds from now: fewer slots only once the rate has stayed under what `vec`
        sustains (with down_margin) for down_delay / (slots saved), counting the rates seen and, for a future
        epoch, those forecast up to it; now, also only with nothing queued."""
        p = self.params
        saved = max(obs.parallelism.values()) - max(vec.values())
        if saved <= 0:
            return True
        if at <= 0 and queued >= p.drain_threshold * max(level, 1.0):
            return False
        quiet = p.down_delay / saved  # seconds
        past = quiet - at
        if past > 0 and self.forecast.span() < past:
            return False
        seen = self.forecast.recent_max(past) if past > 0 else None
        ahead = self.forecast.peak_between(max(0.0, -past), at) if at > 0 else None
        highest = max(x for x in (seen, ahead, 0.0) if x is not None)
        return self._covers(obs, vec, highest * (1 + p.down_margin), share)

    def _queued(self, obs: Observation, level: float) -> float:
        """Records waiting beyond normal: the source backlog, or what the latest p99 latency beyond drain_threshold
        seconds says is queued (latency times rate), whichever is more; queues between operators hold records the
        source backlog does not show."""
        p99 = next((v for v in reversed(obs.p99_series) if v is not None), None)
        excess = 0.0 if p99 is None else max(0.0, p99 / 1000.0 - self.params.drain_threshold)
        return max(obs.backlog or 0.0, level * excess)

    def _backlog_at_effect(self, obs: Observation, level: float, soon: float, queued: float, lead: float) -> float:
        """Queued now, plus what piles up while TaskManagers start (the restart's own backlog is the plan's
        `change_extra`)."""
        achieved = obs.achieved_rate if obs.achieved_rate is not None else level
        waiting = max(0.0, lead - self.lead[False])
        return queued + max(0.0, soon - achieved) * waiting

    def _taskmanagers(self, parallelism: dict[str, int], obs: Observation) -> int | None:
        needed = self.taskmanagers_for(parallelism, obs)
        if needed is None:
            return None
        self.slot_needs = [(t, n) for t, n in self.slot_needs if obs.t - t < self.params.taskmanager_linger]
        self.slot_needs.append((obs.t, needed))
        return max(n for _, n in self.slot_needs)

    def applied(self, decision: Decision, obs: Observation, at: float) -> None:
        with_tms = (decision.taskmanagers or 0) > (obs.taskmanagers or 0)
        took = at - obs.t
        if took > 0:
            self.lead[with_tms] = 0.5 * self.lead[with_tms] + 0.5 * took
