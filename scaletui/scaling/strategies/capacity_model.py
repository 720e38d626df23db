"""What one operator can process at each parallelism, learned from the windows it has run in.

A window at parallelism p gives the operator's maximum sustainable throughput there, MST(p): the records it handled
per second over the share of its capacity it used. Busy time alone overstates that share's complement on shared
nodes: busy time is wall time, and a half-busy instance runs at a full core while its neighbours idle, but at a
fraction of one once they all work (shared/notes/flink-local.md: 2 busy slots on 2 cores give 1.4x one slot, not
2x). So the used share is the larger of the busy fraction and the CPU share of the busiest node hosting the
operator, which shrinks the estimate exactly where busy time is optimistic (ScroogeVM and Transscale read node CPU
for the same reason). Measurements at one parallelism are averaged with a weight growing with their utilisation,
since estimates taken near saturation extrapolate least.

Between and beyond measured parallelisms, MST(p) = alpha * p^beta fitted in log space to the measured points
(Transscale's model without the delay term; beta learned, so the sublinear scaling of shared nodes is learned
too), with `beta_prior` until two parallelisms are known. Predictions never fall when p grows (StreamTune's
monotonic constraint), and a measured parallelism uses its own measurement (ContTune keeps its (parallelism,
processing ability) observations per operator for the same reason). A parallelism only ever measured lightly used
(under `trust_util`) is capped by what the well-used ones extrapolate to, and the exponent is fitted on the
well-used ones alone: an instance with idle neighbours runs at a whole core, so its busy time promises a capacity
the shared node does not have once every instance works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Measured:
    """Running, utilisation-weighted mean MST at one parallelism."""

    mst: float
    weight: float
    best_util: float
    updated: float

    def add(self, mst: float, weight: float, util: float, t: float, memory: float) -> None:
        keep = self.weight * memory
        self.mst = (self.mst * keep + mst * weight) / (keep + weight)
        self.weight = keep + weight
        self.best_util = max(self.best_util, util)
        self.updated = t


@dataclass
class CapacityModel:
    """MST of one operator by parallelism; `predict(p)` for any p, `points` for what was measured."""

    beta_prior: float = 0.5
    beta_min: float = 0.3
    min_util: float = 0.15
    memory: float = 0.8
    """Weight kept by the previous mean at a parallelism when a new measurement arrives."""
    trust_util: float = 0.5
    """A parallelism measured at no more than this share of its capacity is capped by the well-used ones."""
    points: dict[int, Measured] = field(default_factory=dict)

    def observe(self, p: int, rate: float, busy: float, cpu_share: float | None, t: float) -> float | None:
        """Record one window; returns the MST it measured, or None when too idle to tell."""
        used = max(busy, cpu_share or 0.0)
        if p < 1 or rate <= 0 or used < self.min_util:
            return None
        used = min(1.0, used)
        mst = rate / used
        weight = used**2
        seen = self.points.get(p)
        if seen is None:
            self.points[p] = Measured(mst, weight, used, t)
        else:
            seen.add(mst, weight, used, t, self.memory)
        return mst

    def fit(self) -> tuple[float, float] | None:
        """(alpha, beta) of MST(p) = alpha * p^beta by weighted least squares in log space; None before any point."""
        if not self.points:
            return None
        sure = {p: m for p, m in self.points.items() if m.best_util >= self.trust_util}
        use = sure if sure else self.points  # lightly used points would teach near-linear scaling
        pts = [(math.log(p), math.log(m.mst), m.weight) for p, m in use.items() if m.mst > 0]
        if len(pts) == 1:
            lp, lm, _ = pts[0]
            return math.exp(lm - self.beta_prior * lp), self.beta_prior
        sw = sum(w for _, _, w in pts)
        mx = sum(w * x for x, _, w in pts) / sw
        my = sum(w * y for _, y, w in pts) / sw
        sxx = sum(w * (x - mx) ** 2 for x, _, w in pts)
        beta = self.beta_prior if sxx <= 1e-12 else sum(w * (x - mx) * (y - my) for x, y, w in pts) / sxx
        beta = min(1.0, max(self.beta_min, beta))
        return math.exp(my - beta * mx), beta

    def predict(self, p: int) -> float | None:
        """MST at parallelism p: measured where it was; between two measured parallelisms, the power law through
        those two; beyond them, the fitted exponent from the nearest one; never below a smaller p's prediction."""
        fitted = self.fit()
        if fitted is None:
            return None
        _, beta = fitted
        known = sorted(self.points)
        best = 0.0
        for q in range(1, p + 1):
            best = max(best, self._at(q, known, beta))
        return best

    def _at(self, q: int, known: list[int], beta: float) -> float:
        if q in self.points:
            return self._trusted(q, beta)
        below = [k for k in known if k < q]
        above = [k for k in known if k > q]
        if below and above:
            a, b = below[-1], above[0]
            ma, mb = self._trusted(a, beta), self._trusted(b, beta)
            local = math.log(mb / ma) / math.log(b / a) if ma > 0 and mb > 0 else beta
            return ma * (q / a) ** local
        anchor = below[-1] if below else above[0]
        return self._trusted(anchor, beta) * (q / anchor) ** beta

    def _trusted(self, p: int, beta: float) -> float:
        """The MST measured at p; where it was only measured lightly used, at most what the nearest well-used
        parallelism extrapolates to: a lightly used instance runs at a whole core while its neighbours idle, so
        busy time promises capacity that shared nodes do not have once every instance works."""
        m = self.points[p]
        if m.best_util >= self.trust_util:
            return m.mst
        sure = [k for k, x in self.points.items() if x.best_util >= self.trust_util]
        if not sure:
            return m.mst
        k = min(sure, key=lambda x: abs(math.log(x / p)))
        return min(m.mst, self.points[k].mst * (p / k) ** beta)

    def smallest_covering(self, rate: float, limit: int) -> int:
        """The least parallelism up to `limit` whose predicted MST covers `rate` (`limit` when none does)."""
        for p in range(1, limit + 1):
            mst = self.predict(p)
            if mst is not None and mst >= rate:
                return p
        return limit
