"""Transscale: a per-operator model of maximum sustainable throughput, MST(p, d) = alpha * p^beta - gamma * d.

Source: the Transscale scaler that runs next to the Flink job in Scalehub (Inria), as specified in scaletui issue 10:
MST is measured at every parallelism an operator has run at; d is the worst network delay (ms) among the nodes that
host its p instances. One measurement fits alpha (beta and gamma at their priors); two fit (alpha, gamma) when their
delays differ, and (alpha, beta) when they were taken at the same delay, where gamma cannot be told from alpha;
three or more fit all three by least squares (a grid over beta, linear least squares for alpha and gamma). The
operator scales up to the smallest p whose predicted MST covers its required rate plus a headroom, and down while
the predicted MST one step lower still exceeds the rate by a margin. TaskManagers follow the slots needed.
MST at a parallelism is read from busy time (records per second / busy fraction), the same signal DS2 uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scaletui.scaling.observation import Decision, Observation
from scaletui.scaling.strategy import Strategy

BETA_GRID = tuple(b / 100 for b in range(5, 151))


@dataclass(frozen=True)
class TransscaleParams:
    headroom: float = field(default=0.1, metadata={"min": 0.0, "max": 2.0})
    """Scale up to the smallest p whose predicted MST >= required rate * (1 + headroom)."""
    down_margin: float = field(default=0.3, metadata={"min": 0.0, "max": 5.0})
    """Scale down one step at a time while MST(p - 1) >= required rate * (1 + down_margin)."""
    min_busy_ms: float = field(default=100.0, metadata={"min": 1.0, "max": 1000.0})
    """An MST measurement needs at least this busy time (ms/s); below it the extrapolation is noise."""
    beta_prior: float = field(default=1.0, metadata={"min": 0.05, "max": 1.5})
    """beta before two measurements at one delay exist (1.0: linear scaling)."""
    gamma_prior: float = field(default=0.0, metadata={"min": 0.0})
    """gamma (records/s lost per ms of delay) before two measurements at different delays exist."""
    smoothing: float = field(default=0.5, metadata={"min": 0.0, "max": 0.95})
    """Weight of the previous MST at the same parallelism when a new measurement arrives (0: keep the newest)."""
    catch_up: float = field(default=0.0, metadata={"duration": True})
    """Also drain the source backlog within this many seconds (0: plan for the target rate only)."""


@dataclass(frozen=True)
class MstModel:
    alpha: float
    beta: float
    gamma: float
    points: int

    def predict(self, p: int, d: float) -> float:
        return self.alpha * p**self.beta - self.gamma * d


def fit_mst(points: list[tuple[int, float, float]], beta_prior: float = 1.0, gamma_prior: float = 0.0) -> MstModel:
    """Fit MST(p, d) from (p, d, mst) points at distinct parallelisms (see the module docstring)."""
    if not points:
        raise ValueError("fit_mst needs at least one measurement")
    if len(points) == 1:
        p, d, m = points[0]
        return MstModel((m + gamma_prior * d) / p**beta_prior, beta_prior, gamma_prior, 1)
    if len(points) == 2:
        (p1, d1, m1), (p2, d2, m2) = points
        if abs(d1 - d2) > 0.5:
            x1, x2 = p1**beta_prior, p2**beta_prior
            det = -x1 * d2 + x2 * d1
            alpha = (-m1 * d2 + m2 * d1) / det
            gamma = (x1 * m2 - x2 * m1) / det
            if alpha > 0 and gamma >= 0:
                return MstModel(alpha, beta_prior, gamma, 2)
        beta = _clamp_beta(math.log(max(m2, 1e-9) / max(m1, 1e-9)) / math.log(p2 / p1)) if p1 != p2 else beta_prior
        alpha = (m1 + gamma_prior * d1) / p1**beta
        return MstModel(alpha, beta, gamma_prior, 2)
    best: tuple[float, MstModel] | None = None
    vary_d = max(d for _, d, _ in points) - min(d for _, d, _ in points) > 0.5
    for beta in BETA_GRID:
        alpha, gamma = _linear_fit(points, beta, vary_d)
        sse = sum((alpha * p**beta - gamma * d - m) ** 2 for p, d, m in points)
        if best is None or sse < best[0]:
            best = (sse, MstModel(alpha, beta, gamma, len(points)))
    assert best is not None
    return best[1]


def _linear_fit(points: list[tuple[int, float, float]], beta: float, vary_d: bool) -> tuple[float, float]:
    """Least squares of m = alpha * x - gamma * d for fixed beta (x = p^beta), with alpha > 0 and gamma >= 0."""
    xs = [p**beta for p, _, _ in points]
    ds = [d for _, d, _ in points]
    ms = [m for _, _, m in points]
    sxx = sum(x * x for x in xs)
    sxm = sum(x * m for x, m in zip(xs, ms))
    if vary_d:
        sdd = sum(d * d for d in ds)
        sxd = sum(x * d for x, d in zip(xs, ds))
        sdm = sum(d * m for d, m in zip(ds, ms))
        det = sxx * sdd - sxd * sxd
        if abs(det) > 1e-12:
            alpha = (sxm * sdd - sxd * sdm) / det
            gamma = -(sxx * sdm - sxd * sxm) / det
            if alpha > 0 and gamma >= 0:
                return alpha, gamma
    return sxm / sxx, 0.0


def _clamp_beta(beta: float) -> float:
    return min(BETA_GRID[-1], max(BETA_GRID[0], beta))


class TransscaleStrategy(Strategy):
    name = "transscale"
    Params = TransscaleParams
    params: TransscaleParams

    def __init__(self, params: TransscaleParams | None = None) -> None:
        super().__init__(params)
        self.mst: dict[str, dict[int, tuple[float, float]]] = {}
        """operator -> parallelism -> (delay ms, MST records/s)."""

    def record(self, obs: Observation) -> None:
        for op in obs.operators.values():
            rate, busy = op.processed_rate, op.busy_ms
            if rate is None or rate <= 0 or busy is None or busy < self.params.min_busy_ms:
                continue
            mst = rate / (busy / 1000.0)
            d = obs.worst_delay(op.parallelism)
            seen = self.mst.setdefault(op.name, {})
            if op.parallelism in seen:
                w = self.params.smoothing
                old_d, old_m = seen[op.parallelism]
                mst, d = w * old_m + (1 - w) * mst, w * old_d + (1 - w) * d
            seen[op.parallelism] = (d, mst)

    def model(self, name: str) -> MstModel | None:
        seen = self.mst.get(name)
        if not seen:
            return None
        points = [(p, d, m) for p, (d, m) in sorted(seen.items())]
        return fit_mst(points, self.params.beta_prior, self.params.gamma_prior)

    def decide(self, obs: Observation) -> Decision:
        self.record(obs)
        if obs.target_rate is None:
            return self.keep(obs, "Transscale: no target source rate measured yet")
        source_rate = obs.target_rate
        if self.params.catch_up > 0 and obs.backlog:
            source_rate += obs.backlog / self.params.catch_up
        required = obs.required_rates(source_rate)
        new: dict[str, int] = {}
        notes: list[str] = []
        for op in obs.operators.values():
            model, rate = self.model(op.name), required.get(op.name)
            new[op.name] = op.parallelism
            if model is None or rate is None:
                continue
            p = self._target(model, obs, op.parallelism, op.max_parallelism, rate)
            if p != op.parallelism:
                new[op.name] = p
                notes.append(
                    f"{op.name} {op.parallelism}->{p} (need {rate:.0f} r/s, "
                    f"MST({p})={model.predict(p, obs.worst_delay(p)):.0f}, "
                    f"a={model.alpha:.0f} b={model.beta:.2f} g={model.gamma:.1f}, {model.points} pts)"
                )
        if not notes:
            return self.decision(obs, new, f"Transscale: source target {source_rate:.0f} r/s; predicted MSTs cover it")
        return self.decision(obs, new, f"Transscale: source target {source_rate:.0f} r/s; " + ", ".join(notes))

    def _target(self, model: MstModel, obs: Observation, current: int, limit: int, rate: float) -> int:
        up = rate * (1 + self.params.headroom)
        if model.predict(current, obs.worst_delay(current)) < up:
            for p in range(current + 1, limit + 1):
                if model.predict(p, obs.worst_delay(p)) >= up:
                    return p
            return max(current, limit)
        down = rate * (1 + self.params.down_margin)
        p = current
        while p > 1 and model.predict(p - 1, obs.worst_delay(p - 1)) >= down:
            p -= 1
        return p
