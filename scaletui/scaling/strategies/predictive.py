"""Predictive: plan the slots for the next minutes over the job's queue, from capacities it has measured.

What it does, and where each part comes from:

- Capacity per parallelism is learned, not assumed linear (`capacity_model`): Transscale's MST(p) = alpha * p^beta
  (Scalehub's scaler; beta fitted, so the sublinear scaling of shared nodes is learned), measured at every
  parallelism an operator has run at and reused there, as ContTune (Lian et al., VLDB 2023) keeps its (parallelism,
  processing ability) observations per operator; never falling as p grows (StreamTune, Han et al., 2025: the
  monotonic constraint). A parallelism measured only lightly used is capped by what the well-used ones extrapolate
  to: busy time promises capacity that shared nodes do not have once every instance works (DS2's linear model,
  Kalavri et al., OSDI 2018, over-trusts extra slots for the same reason).
- It plans over the queue (`queue_plan`): for the next `plan_horizon`, in steps of the loop's decision interval, the
  least slot-seconds + `violation_cost` per second whose queue would break the SLO + `rescale_cost` per rescale,
  with each rescale's downtime (its input queues up), the cooldown after it, and the TaskManagers it must wait for;
  only the first step is taken (model predictive control). The Flink operator autoscaler's catch-up and restart-time
  terms (job.autoscaler.catch-up.duration, restart.time) and its scale-down interval are fixed stand-ins for the
  trades this one cost makes: how far to overshoot to drain a queue, and whether a scale-down saves enough slots
  over the horizon to pay for its restart. ContTune reports ~60 % fewer reconfigurations than DS2 and StreamTune
  ~30 % by not re-deciding from scratch every window; this reaches the same aim by pricing each reconfiguration.
- Its rate path (`rate_forecast`): per step, the median of the forecast (the rate now plus a damped trend, Holt) and
  of analogues (Lorenz's method of analogues, k-nearest-neighbour forecasting): earlier moments when the rate was
  where it is now, and what it did next. A burst's analogues are earlier bursts, whose ends they show; a noisy
  load's are its wiggles, which revert; a new level has none, and the forecast alone decides.
- The queue is what the source backlog says, or what the p99 beyond the job's unqueued latency says (queues between
  operators hold records the source backlog does not show).
- TaskManagers stay for `taskmanager_linger` after their slots were last needed, with `spare_taskmanagers` more:
  starting one takes 15-25 s (shared/notes/flink-local.md) that a scale-up would wait through with a growing queue.
  They change only with a rescale.

How it does, against the other strategies and against what a schedule knowing the trace could reach:
docs/scaling-benchmark.md.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation, OperatorObservation
from scaletui.scaling.strategies import queue_plan
from scaletui.scaling.strategies.capacity_model import CapacityModel
from scaletui.scaling.strategies.rate_forecast import RateForecast
from scaletui.scaling.strategy import Strategy


@dataclass(frozen=True)
class PredictiveParams:
    slo_ms: float = field(default=1000.0, metadata={"min": 1.0})
    """The latency SLO the plan keeps (p99 end-to-end, ms); the plan counts seconds whose queue would break it."""
    violation_cost: float = field(default=45.0, metadata={"min": 0.0})
    """What one second over the SLO costs in the plan, in slot-seconds."""
    rescale_cost: float = field(default=100.0, metadata={"min": 0.0})
    """What one rescale costs in the plan on top of its downtime, in slot-seconds (it spends the rescale budget)."""
    plan_horizon: float = field(default=300.0, metadata={"duration": True})
    """The plan covers this far ahead."""
    plan_tail: float = field(default=150.0, metadata={"duration": True})
    """The slots the plan ends at are priced for this much longer (the job runs on after the horizon)."""
    epoch: float = field(default=10.0, metadata={"duration": True, "min": 1.0})
    """The plan's step: the control loop's decision interval."""
    cooldown: float = field(default=20.0, metadata={"duration": True})
    """After a rescale the loop decides again only this much later (the experiment's strategy.cooldown)."""
    analogues: int = field(default=12, metadata={"min": 0})
    """Analogues taken from the load's own history beside the forecast (0: the forecast alone)."""
    analogue_history: float = field(default=1800.0, metadata={"duration": True})
    """The history the analogues are taken from."""
    path_quantile: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    """The plan's rate path: this quantile, epoch by epoch, of the forecast and the analogue paths (higher plans
    for more of what the load has done before)."""
    forecast_weight: float = field(default=0.2, metadata={"min": 0.0, "max": 1.0})
    """Weight of the forecast path (level and damped trend) against the analogues together."""
    rescale_time: float = field(default=2.0, metadata={"duration": True})
    """Expected time from decision to new capacity without new TaskManagers, until one rescale was measured."""
    taskmanager_start: float = field(default=20.0, metadata={"duration": True})
    """Expected time from decision to new capacity when TaskManagers must start, until one was measured."""
    taskmanager_linger: float = field(default=1800.0, metadata={"duration": True})
    """TaskManagers stay this long after their slots were last needed."""
    spare_taskmanagers: int = field(default=1, metadata={"min": 0})
    """TaskManagers kept started beyond those the slots need, so a scale-up need not wait 15-25 s for one to start
    (they cost TaskManager-seconds, not slots)."""
    max_utilisation: float = field(default=0.97, metadata={"min": 0.5, "max": 1.0})
    """The plan runs an operator at most at this share of its measured capacity: latency climbs steeply near
    saturation, before any queue shows."""
    beta_prior: float = field(default=0.5, metadata={"min": 0.05, "max": 1.0})
    """Scaling exponent before two parallelisms of an operator have been measured (1.0: linear)."""
    beta_min: float = field(default=0.5, metadata={"min": 0.05, "max": 1.0})
    """The fitted exponent is kept at or above this."""
    min_util: float = field(default=0.15, metadata={"min": 0.01, "max": 1.0})
    """Windows where an operator used less than this share of its capacity measure nothing."""
    trend_window: float = field(default=120.0, metadata={"duration": True})
    """The trend of the target rate is fitted over this last period."""
    base_latency_quantile: float = field(default=0.2, metadata={"min": 0.0, "max": 0.99})
    """The job's latency with nothing queued is this quantile of the last five minutes' p99."""
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
        self.latencies: deque[tuple[float, float]] = deque()
        """(time, p99 in s) of the last minutes, for the latency of the job with nothing queued."""

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
        self._note_latency(obs)
        level = self.forecast.level()
        if level is None:
            level = obs.target_rate
        if level is None:
            return self.keep(obs, "Predictive: no target source rate measured yet")
        share = {name: r or 0.0 for name, r in obs.required_rates(1.0).items()}
        measured = [
            op.name for op in obs.operators.values() if share.get(op.name, 0.0) > 0 and self.model(op.name).predict(1)
        ]
        if not measured:
            return self.keep(obs, "Predictive: no operator's capacity measured yet")
        epochs = max(1, math.ceil(p.plan_horizon / p.epoch))
        path, analogues = self._rate_path(level, epochs, p.path_quantile)
        top = max(path)
        caps = self._capacities(obs, measured, share, 2.0 * max(top, level))
        current = min(max(obs.parallelism.values()), len(caps))
        queued = self._queued(obs, level)
        base = self._base_latency_s()
        settings = queue_plan.PlanSettings(
            epoch_s=p.epoch,
            downtime_s=self.lead[False],
            cooldown_epochs=max(1, math.ceil((self.lead[False] + p.cooldown) / p.epoch)),
            slo_s=max(0.05, p.slo_ms / 1000.0 - base),
            violation_cost=p.violation_cost,
            rescale_cost=p.rescale_cost,
            tail_s=p.plan_tail,
        )
        spt = obs.slots_per_taskmanager
        tm_wait = max(0.0, self.lead[True] - self.lead[False])
        lead = [
            tm_wait if spt and obs.taskmanagers is not None and -(-s // spt) > obs.taskmanagers else 0.0
            for s in range(1, len(caps) + 1)
        ]
        chosen = queue_plan.plan(caps, current, queued, path, settings, lead)
        new = self._sizing(obs, chosen.slots, caps[chosen.slots - 1], share, top)
        tms = self._taskmanagers(new, obs)
        others = sorted((c, n) for n, c in chosen.costs.items() if n != chosen.slots)[:2]
        costs = [(chosen.slots, chosen.costs[chosen.slots])] + [(n, c) for c, n in others]
        head = (
            f"Predictive: rate {level:.0f} r/s, queued {queued / max(level, 1.0):.1f} s; rate path (forecast"
            + (f" and {analogues} analogues" if analogues else "")
            + f") peaks at {top:.0f} r/s within {p.plan_horizon:.0f} s; capacity "
            + "/".join(f"{c:.0f}" for c in caps[:12])
            + f" r/s at 1..{min(len(caps), 12)} slots; plan cost (slot-s) "
            + ", ".join(f"{'keep ' if n == current else ''}{n} slots {c:.0f}" for n, c in costs)
        )
        changes = [f"{name} {obs.parallelism[name]}->{q}" for name, q in new.items() if q != obs.parallelism[name]]
        return Decision(new, tms, head + ("; " + ", ".join(changes) if changes else "; keep"))

    def _rate_path(self, level: float, epochs: int, quantile: float) -> tuple[tuple[float, ...], int]:
        """The rate path to plan on, and how many analogues went into it: per epoch, the `quantile` of the
        forecast (level and damped trend, weight `forecast_weight`) and the analogues from the load's own history.
        One path, not each analogue as a scenario of its own: a plan per scenario would know that scenario's future
        after its first step, and so would always find waiting worth it."""
        p = self.params
        ahead = self.forecast.path(epochs, p.epoch) or (level,) * epochs
        history = self.forecast.paths(epochs, p.epoch, p.analogues, p.analogue_history) if p.analogues else []
        if not history:
            return ahead, 0
        rest = (1.0 - p.forecast_weight) / len(history)
        weighted = [(ahead, p.forecast_weight)] + [(h, rest) for h in history]
        path = tuple(_quantile([(w[k], weight) for w, weight in weighted], quantile) for k in range(epochs))
        return path, len(history)

    def _capacities(self, obs: Observation, measured: list[str], share: dict[str, float], enough: float) -> list[float]:
        """The job's capacity (source records/s) at 1, 2, ... slots: the least of its measured operators' predicted
        MST over their share of the source rate; up to the first count that covers `enough` (or the operators'
        max parallelism)."""
        limit = min(obs.operators[name].max_parallelism for name in measured)
        if obs.slot_limit is not None:
            limit = max(1, min(limit, obs.slot_limit))
        caps: list[float] = []
        for s in range(1, limit + 1):
            cap = self.params.max_utilisation * min(
                (self.model(name).predict(s) or 0.0) / share[name] for name in measured
            )
            caps.append(max(cap, caps[-1] if caps else 0.0))
            if cap >= enough and s >= max(obs.parallelism.values()):
                break
        return caps

    def _sizing(
        self, obs: Observation, slots: int, capacity: float, share: dict[str, float], rate: float
    ) -> dict[str, int]:
        """The operators that bound the job at `slots` get `slots`; every other measured one keeps its parallelism
        while it covers its share of `rate` (growing it only when it must: a change of any operator restarts the
        job), within `slots`; unmeasured operators stay."""
        out = {}
        for op in obs.operators.values():
            model = self.model(op.name)
            if model.predict(op.parallelism) is None or share.get(op.name, 0.0) <= 0:
                out[op.name] = min(op.parallelism, slots)
                continue
            need = min(capacity, rate) * share[op.name]
            bound = (model.predict(slots - 1) or 0.0) < capacity * share[op.name] * (1 - 1e-9) if slots > 1 else True
            if bound:
                out[op.name] = slots
            elif (model.predict(op.parallelism) or 0.0) >= need and op.parallelism <= slots:
                out[op.name] = op.parallelism
            else:
                out[op.name] = min(slots, model.smallest_covering(need, slots))
        return out

    def _note_latency(self, obs: Observation) -> None:
        for t, v in zip(obs.sample_times, obs.p99_series):
            if v is not None and (not self.latencies or t > self.latencies[-1][0]):
                self.latencies.append((t, v / 1000.0))
        while self.latencies and self.latencies[0][0] < obs.t - 300.0:
            self.latencies.popleft()

    def _base_latency_s(self) -> float:
        """The p99 of the job with nothing queued: a low quantile of the last five minutes' p99, at most half the
        SLO (the rest is the queue the plan may hold)."""
        if not self.latencies:
            return 0.0
        values = sorted(v for _, v in self.latencies)
        return min(values[int(len(values) * self.params.base_latency_quantile)], 0.5 * self.params.slo_ms / 1000.0)

    def _queued(self, obs: Observation, level: float) -> float:
        """Records waiting beyond normal: the source backlog, or what the latest p99 beyond the job's unqueued
        latency says is queued (latency times rate), whichever is more; queues between operators hold records the
        source backlog does not show."""
        p99 = next((v for v in reversed(obs.p99_series) if v is not None), None)
        excess = 0.0 if p99 is None else max(0.0, p99 / 1000.0 - self._base_latency_s())
        return max(obs.backlog or 0.0, level * excess)

    def _taskmanagers(self, parallelism: dict[str, int], obs: Observation) -> int | None:
        """As many as the slots needed in the last `taskmanager_linger`, plus `spare_taskmanagers`; changed only
        with a rescale (a TaskManager change alone would be one more actuation the job does not need)."""
        needed = self.taskmanagers_for(parallelism, obs)
        if needed is None:
            return None
        self.slot_needs = [(t, n) for t, n in self.slot_needs if obs.t - t < self.params.taskmanager_linger]
        self.slot_needs.append((obs.t, needed))
        if parallelism == obs.parallelism and obs.taskmanagers is not None:
            return obs.taskmanagers
        return max(n for _, n in self.slot_needs) + self.params.spare_taskmanagers

    def applied(self, decision: Decision, obs: Observation, at: float) -> None:
        """Measure the time from decision to new capacity, with and without TaskManagers to start."""
        if decision.changes(obs.parallelism):
            with_tms = (decision.taskmanagers or 0) > (obs.taskmanagers or 0)
            took = at - obs.t
            if took > 0:
                self.lead[with_tms] = 0.5 * self.lead[with_tms] + 0.5 * took


def _quantile(values: list[tuple[float, float]], q: float) -> float:
    """The weighted q-quantile of (value, weight) pairs."""
    ordered = sorted(values)
    total = sum(w for _, w in ordered)
    seen = 0.0
    for value, weight in ordered:
        seen += weight
        if seen >= q * total - 1e-12:
            return value
    return ordered[-1][0]
