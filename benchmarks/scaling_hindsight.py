"""What the best schedule that knows the whole trace can reach on a load, under the bar's rescale count.

A dynamic programme over a fluid model of the simulated job: the job runs at parallelism p (1..max slots) with the
capacity the simulator's oracle gives p (`mst_table`); records it cannot take queue up (source backlog and the
expensive operator's input queue alike); a second counts as an SLO violation when the queue holds more than
`slo_s` seconds of input, and while the job restarts. A rescale stops the job for the simulator's downtime and is
followed by the control loop's cooldown, in which the parallelism cannot change again. Everything else is
optimistic on the schedule's side: TaskManagers are always there (keeping them is free under the bar), a rescale
may happen at any second (not only on the loop's 10-second grid), and the latency of an unqueued job is zero.

For a Lagrange weight w it finds the least slot-seconds + w x violation-seconds over every schedule with at most
`max_rescales` rescales. Swept over w this traces the lower convex hull of what any strategy can reach on the load
in (slot-seconds, SLO-violation seconds), which the verdict reads two ways:

- reachable: some w's schedule meets the slot bar and the SLO bar together (no causal strategy is promised that:
  the schedule knows the future);
- out of reach: for some w, the least cost is above slot bar x oracle + w x SLO bar, so no schedule, and no
  strategy, meets both bars with that many rescales (within the fluid model's approximations: queue binned to
  `bin_records`, restarts as pure downtime).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scaletui.cluster.simulator.model import SimConfig
from scaletui.cluster.simulator.oracle import oracle_parallelism

WEIGHTS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""Slot-seconds one SLO-violation second is worth, swept to trace the hull."""


@dataclass(frozen=True)
class HindsightPoint:
    weight: float
    slot_s: float
    slo_s: int
    rescales: int
    cost: float
    """slot_s + weight * slo_s: the least over all schedules (the certificate)."""


@dataclass(frozen=True)
class Hindsight:
    points: tuple[HindsightPoint, ...]
    oracle_slot_s: float

    def verdict(self, slot_bar: float, slo_budget: float) -> tuple[str, HindsightPoint | None]:
        """("reachable", a point meeting both bars), ("out of reach", the certificate's point) or ("open", None)."""
        target = slot_bar * self.oracle_slot_s
        meets = [p for p in self.points if p.slot_s <= target + 1e-6 and p.slo_s <= slo_budget + 1e-9]
        if meets:
            return "reachable", min(meets, key=lambda p: p.slot_s)
        for p in self.points:
            if p.cost > target + p.weight * slo_budget + 1e-6:
                return "out of reach", p
        return "open", None


def mst_table(config: SimConfig, max_slots: int, top: int = 4000) -> list[float]:
    """Capacity of the job at slots 1..max_slots: the highest rate whose oracle needs at most that many (bisection
    on the oracle, so it agrees with the slot-seconds yardstick)."""
    out = []
    for p in range(1, max_slots + 1):
        lo, hi = 0, top
        for _ in range(40):
            if hi - lo <= 1:
                break
            mid = (lo + hi) // 2
            o = oracle_parallelism(config, mid)
            if o is not None and max(o.values()) <= p:
                lo = mid
            else:
                hi = mid
        out.append(float(lo))
    return out


def hindsight(
    rates: list[float],
    mst: list[float],
    max_rescales: int,
    downtime_s: int = 2,
    cooldown_s: int = 20,
    slo_s: float = 1.0,
    bin_records: float = 100.0,
    max_queue_s: float = 20.0,
    weights: tuple[float, ...] = WEIGHTS,
    oracle_slot_s: float | None = None,
) -> Hindsight:
    """`rates`: the target rate each second; `mst`: capacity at 1..P slots. Starts at 1 slot with nothing queued."""
    n_t, n_p, n_k, n_w = len(rates), len(mst), max_rescales + 1, len(weights)
    r = np.asarray(rates, dtype=float)
    n_q = int(max_queue_s * max(1.0, float(r.max())) / bin_records) + 2
    w = np.asarray(weights, dtype=float)[:, None, None, None]
    caps = np.asarray(mst, dtype=float)
    slots = np.arange(1, n_p + 1, dtype=float)[None, :, None, None]
    # per slot count, the queue change each second in bins, with the rounding error carried over (error diffusion)
    cum = np.cumsum((r[None, :] - caps[:, None]) / bin_records, axis=1)
    steps = np.diff(np.round(np.concatenate([np.zeros((n_p, 1)), cum], axis=1)), axis=1).astype(int)
    inf = math.inf
    cost = np.full((n_w, n_p, n_k, n_q), inf)
    viol = np.zeros((n_w, n_p, n_k, n_q), dtype=np.int32)
    cost[:, 0, 0, 0] = 0.0
    arrivals: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    block = downtime_s + cooldown_s
    q_records = np.arange(n_q) * bin_records
    for t in range(n_t):
        if t in arrivals:
            c2, v2 = arrivals.pop(t)
            better = c2 < cost
            cost = np.where(better, c2, cost)
            viol = np.where(better, v2, viol)
        if max_rescales > 0 and t + 1 < n_t:
            _rescale(t, r, caps, cost, viol, w, q_records, bin_records, block, downtime_s, slo_s, n_t, arrivals)
        cost, viol = _keep(t, r[t], steps[:, t], cost, viol, w, slots, bin_records, slo_s)
    if n_t in arrivals:  # rescales whose cooldown the trace's end cut short
        c2, v2 = arrivals.pop(n_t)
        better = c2 < cost
        cost, viol = np.where(better, c2, cost), np.where(better, v2, viol)
    points = []
    for i, weight in enumerate(weights):
        flat = cost[i].reshape(-1)
        best = int(np.argmin(flat))
        _, k, _ = np.unravel_index(best, cost[i].shape)
        v = int(viol[i].reshape(-1)[best])
        c = float(flat[best])
        points.append(HindsightPoint(weight, c - weight * v, v, int(k), c))
    oracle = oracle_slot_s if oracle_slot_s is not None else float(sum(_oracle_slots(rates, mst)))
    return Hindsight(tuple(points), oracle)


def _oracle_slots(rates: list[float], mst: list[float]) -> list[int]:
    out = []
    for rate in rates:
        p = next((i + 1 for i, c in enumerate(mst) if c >= rate), len(mst))
        out.append(p)
    return out


def _keep(
    t: int,
    rate: float,
    steps: np.ndarray,
    cost: np.ndarray,
    viol: np.ndarray,
    w: np.ndarray,
    slots: np.ndarray,
    bin_records: float,
    slo_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One second at the same parallelism: the queue moves by the rate minus the capacity; a second with more than
    `slo_s` of input queued is a violation."""
    n_q = cost.shape[-1]
    new_c = np.full_like(cost, math.inf)
    new_v = np.zeros_like(viol)
    for p, d in enumerate(steps):
        c, v = cost[:, p], viol[:, p]
        if d >= 0:
            if d >= n_q:
                d = n_q - 1
            new_c[:, p, :, d:] = c[..., : n_q - d]
            new_v[:, p, :, d:] = v[..., : n_q - d]
            if d:  # what would overflow stays in the last bin (the queue is capped: optimistic)
                tail = c[..., n_q - d :]
                arg = np.argmin(tail, axis=-1)
                tc = np.take_along_axis(tail, arg[..., None], axis=-1)[..., 0]
                tv = np.take_along_axis(v[..., n_q - d :], arg[..., None], axis=-1)[..., 0]
                better = tc < new_c[:, p, :, -1]
                new_c[:, p, :, -1] = np.where(better, tc, new_c[:, p, :, -1])
                new_v[:, p, :, -1] = np.where(better, tv, new_v[:, p, :, -1])
        else:
            d = -d
            head = c[..., : d + 1]
            arg = np.argmin(head, axis=-1)
            new_c[:, p, :, 0] = np.take_along_axis(head, arg[..., None], axis=-1)[..., 0]
            new_v[:, p, :, 0] = np.take_along_axis(v[..., : d + 1], arg[..., None], axis=-1)[..., 0]
            if d + 1 < n_q:
                new_c[:, p, :, 1 : n_q - d] = c[..., d + 1 :]
                new_v[:, p, :, 1 : n_q - d] = v[..., d + 1 :]
    bad = (np.arange(n_q) * bin_records > rate * slo_s).astype(np.int32)
    new_c += slots + w * bad
    new_v += bad
    return new_c, new_v


def _rescale(
    t: int,
    r: np.ndarray,
    caps: np.ndarray,
    cost: np.ndarray,
    viol: np.ndarray,
    w: np.ndarray,
    q_records: np.ndarray,
    bin_records: float,
    block: int,
    downtime_s: int,
    slo_s: float,
    n_t: int,
    arrivals: dict[int, tuple[np.ndarray, np.ndarray]],
) -> None:
    """A rescale at second t to any parallelism: `downtime_s` seconds without processing, then the cooldown at
    the new parallelism; its end state arrives at t + block (or the trace's end)."""
    n_w, n_p, n_k, n_q = cost.shape
    arg = np.argmin(cost[:, :, :-1, :], axis=1)  # the cheapest parallelism to leave from, per (w, k, q)
    m_c = np.take_along_axis(cost[:, :, :-1, :], arg[:, None], axis=1)[:, 0]
    m_v = np.take_along_axis(viol[:, :, :-1, :], arg[:, None], axis=1)[:, 0]
    if not np.isfinite(m_c).any():
        return
    end = min(n_t, t + block)
    seconds = end - t
    c2, v2 = arrivals.get(end, (np.full_like(cost, math.inf), np.zeros_like(viol)))
    for p in range(n_p):
        q = q_records.copy()
        bad = np.zeros(n_q, dtype=np.int32)
        for s in range(seconds):
            rate = r[t + s]
            q = q + rate if s < downtime_s else np.maximum(0.0, q + rate - caps[p])
            bad += 1 if s < downtime_s else (q > rate * slo_s).astype(np.int32)
        idx = np.minimum(n_q - 1, np.round(q / bin_records).astype(int))
        add_c = seconds * (p + 1) + w[:, 0, 0] * bad[None, :]  # (n_w, n_q)
        cand_c = m_c + add_c[:, None, :]
        cand_v = m_v + bad[None, None, :]
        target_c = c2[:, p, 1:, :]
        target_v = v2[:, p, 1:, :]
        starts = np.concatenate([[0], np.flatnonzero(np.diff(idx)) + 1])  # idx never falls as q grows
        lengths = np.diff(np.concatenate([starts, [n_q]]))
        seg_c = np.minimum.reduceat(cand_c, starts, axis=-1)
        tied = cand_c == np.repeat(seg_c, lengths, axis=-1)
        seg_v = np.minimum.reduceat(np.where(tied, cand_v, np.iinfo(np.int32).max), starts, axis=-1)
        j = idx[starts]
        better = seg_c < target_c[..., j]
        target_c[..., j] = np.where(better, seg_c, target_c[..., j])
        target_v[..., j] = np.where(better, seg_v, target_v[..., j])
    arrivals[end] = (c2, v2)


def yardstick(
    rates: list[float], config: SimConfig, max_rescales: int, slo_budget: float, slot_bar: float, oracle_slot_s: float
) -> tuple[str, Hindsight]:
    """The verdict's "hindsight" cell for one load: the least slot ratio a schedule knowing the trace reaches within
    the SLO budget and the rescale count ("1.05"), "out" when none meets both bars, "open" when the sweep cannot
    tell; and the hull behind it."""
    max_slots = config.max_taskmanagers * config.slots_per_taskmanager
    result = hindsight(
        rates,
        mst_table(config, max_slots),
        max_rescales,
        downtime_s=round(config.rescale_downtime_s),
        oracle_slot_s=oracle_slot_s,
    )
    verdict, point = result.verdict(slot_bar, slo_budget)
    if verdict == "reachable" and point is not None:
        return f"{point.slot_s / result.oracle_slot_s:.2f}", result
    return ("out" if verdict == "out of reach" else "open"), result
