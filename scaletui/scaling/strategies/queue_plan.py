"""Choose the slots now by planning the next minutes over the job's queue: slot-seconds against SLO seconds.

The job at s slots processes up to `capacity[s]` records/s; what it cannot take queues up (source backlog and the
queues between operators alike), and a second whose queue holds more than `slo_s` seconds of input breaks the
latency SLO. A rescale stops the job for `downtime` seconds, so its input queues up too, and the control loop's
cooldown holds the new parallelism for a while. The plan minimises, over the next epochs of one rate path,
slot-seconds plus `violation_cost` slot-seconds per SLO-violation second plus `rescale_cost` per rescale, by a
backward dynamic programme over (epoch, slots, queue); the first action with the least cost is taken, and the next
decision plans again with fresh measurements (model predictive control).

So the trade-offs the usual rules make by hand fall out of one cost: a scale-up is sized so the queue (the
restart's own included) drains quickly enough to be worth its slots; a scale-down is taken when the slots it saves
over the horizon outweigh its restart and what the path says about having to come back.
(Transscale and DS2 size for the rate now; the Flink operator's catch-up and restart-time terms and its scale-down
interval are fixed stand-ins for the same trade.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

GRID_POINTS = 41
"""Queue grid points, from 0 to `max_queue_s` seconds of the highest rate ahead."""


@dataclass(frozen=True)
class QueuePlan:
    slots: int
    """The slots to run at now (the current count: keep)."""
    costs: dict[int, float]
    """Cost of each first action, by the slots it moves to (the current count: keep)."""


@dataclass(frozen=True)
class PlanSettings:
    epoch_s: float = 10.0
    downtime_s: float = 2.0
    cooldown_epochs: int = 2
    """Epochs a rescale holds the new parallelism (its downtime included) before the next one can be decided."""
    slo_s: float = 1.0
    """Queued seconds of input above which a second breaks the SLO (the SLO minus the latency of an unqueued job)."""
    violation_cost: float = 10.0
    rescale_cost: float = 100.0
    max_queue_s: float = 20.0
    """The queue grid spans this many seconds of the highest rate ahead (beyond it, values extrapolate)."""
    tail_s: float = 0.0
    """Seconds past the horizon the final slot count is priced for."""


def plan(
    capacity: Sequence[float],
    current: int,
    queued: float,
    rates: Sequence[float],
    settings: PlanSettings,
    lead_s: Sequence[float] | None = None,
) -> QueuePlan:
    """`capacity[s - 1]`: records/s at s slots; `current`: slots now; `queued`: records queued now; `rates`: the mean
    source rate of each epoch ahead; `lead_s[s - 1]`: seconds before a rescale to s can start (TaskManagers to
    start), during which the job runs as it is."""
    st = settings
    caps = np.asarray(capacity, dtype=float)
    n_s = len(caps)
    lead = np.zeros(n_s) if lead_s is None else np.asarray(lead_s, dtype=float)
    r = np.maximum(np.asarray(rates, dtype=float), 1e-6)
    n_e = len(r)
    top = max(float(r.max()), queued / st.max_queue_s) * st.max_queue_s
    grid = np.linspace(0.0, top, GRID_POINTS)
    step = float(grid[1])
    values: list[np.ndarray | None] = [None] * (n_e + 1)
    values[n_e] = _terminal(caps, grid, float(r[-1]), st)
    for k in range(n_e - 1, -1, -1):
        keep = _keep(caps, grid[None, :], float(r[k]), st, values[k + 1], step)  # type: ignore[arg-type]
        move = _moves(caps, grid[None, None, :], r, k, st, values, lead, step)
        values[k] = np.minimum(keep, move.min(axis=1))  # keep, or the cheapest count to move to
    q0 = np.full((1, 1), float(queued))
    now = _moves(caps, q0[..., None], r, 0, st, values, lead, step)[current - 1, :, 0]
    now[current - 1] = _keep(caps, q0, float(r[0]), st, values[1], step)[current - 1, 0]  # type: ignore[arg-type]
    return QueuePlan(int(np.argmin(now)) + 1, {s + 1: float(now[s]) for s in range(n_s)})


def _keep(caps: np.ndarray, q: np.ndarray, rate: float, st: PlanSettings, after: np.ndarray, step: float) -> np.ndarray:
    """One epoch at every slot count from queues `q` (slots x points), then the plan's value after."""
    end, viol = _segment(q, caps[:, None], rate, st.epoch_s, st.slo_s)
    slots = np.arange(1, len(caps) + 1, dtype=float)[:, None]
    return slots * st.epoch_s + st.violation_cost * viol + _lookup(after, end, step)


def _moves(
    caps: np.ndarray,
    q: np.ndarray,
    r: np.ndarray,
    k: int,
    st: PlanSettings,
    values: list[np.ndarray | None],
    lead: np.ndarray,
    step: float,
) -> np.ndarray:
    """A rescale decided at epoch k from every slot count to every other, from queues `q` (from x to x points):
    `lead` seconds as before (TaskManagers starting), the downtime, then the new count to the end of the cooldown;
    its cost and the plan's value after. Moving to the same count is not a move (infinite). Targets without a lead
    do not depend on where the move starts, so they are computed once for all."""
    n_s = len(caps)
    out = np.empty((n_s, n_s, q.shape[-1]))
    waits = lead > 0
    for group, from_axis in ((~waits, False), (waits, True)):
        if group.any():
            out[:, group, :] = _block_cost(caps, group, from_axis, q, r, k, st, values, lead, step)
    same = np.eye(n_s, dtype=bool)[:, :, None]
    return np.where(same, np.inf, out)


def _block_cost(
    caps: np.ndarray,
    targets: np.ndarray,
    from_axis: bool,
    q: np.ndarray,
    r: np.ndarray,
    k: int,
    st: PlanSettings,
    values: list[np.ndarray | None],
    lead: np.ndarray,
    step: float,
) -> np.ndarray:
    """`_moves` for the `targets` given; with `from_axis`, per starting count (the job runs as it was while it
    waits for TaskManagers), else once for every starting count."""
    n_s = len(caps)
    end_k = min(len(r), k + st.cooldown_epochs)
    slots = np.arange(1, n_s + 1, dtype=float)
    cap_from = caps[:, None, None] if from_axis else 0.0
    cap_to = caps[targets][None, :, None]
    wait = lead[targets][None, :, None]
    shape = (n_s if from_axis else 1, int(targets.sum()), q.shape[-1])
    queue = np.broadcast_to(q, shape).astype(float)
    viol = np.zeros(shape)
    t = 0.0
    for j in range(k, end_k):
        rate = float(r[j])
        start, stop = t, t + st.epoch_s
        before = np.clip(wait, start, stop) - start  # seconds of this epoch still waiting for TaskManagers
        down = np.clip(wait + st.downtime_s, start, stop) - start - before
        if from_axis:
            queue, v = _segment(queue, cap_from, rate, before, st.slo_s)
            viol = viol + v
        viol = viol + down  # a restarting job reports no latency: every second of it counts
        queue = queue + rate * down
        queue, v = _segment(queue, cap_to, rate, st.epoch_s - down - before, st.slo_s)
        viol = viol + v
        t = stop
    waited = np.minimum(wait, t)
    slot_s = slots[targets][None, :, None] * (t - waited)
    if from_axis:
        slot_s = slot_s + slots[:, None, None] * waited
    value = values[end_k]
    assert value is not None
    after_value = _lookup(np.broadcast_to(value[None, targets, :], shape[:2] + value.shape[-1:]), queue, step)
    return st.rescale_cost + slot_s + st.violation_cost * viol + after_value


def _segment(
    q: np.ndarray, cap: np.ndarray | float, rate: np.ndarray | float, seconds: np.ndarray | float, slo_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """The queue after `seconds` at capacity `cap`, and the seconds in between with more than `slo_s` of input queued
    (the queue moves linearly and stops at 0): it crosses the limit at x = (limit - q) / growth, so a growing queue
    is above it after x and a shrinking one before x."""
    growth = rate - cap
    growth = np.where(growth == 0, 1e-9, growth)
    end = np.maximum(0.0, q + growth * seconds)
    crossing = np.clip((rate * slo_s - q) / growth, 0.0, seconds)
    return end, np.where(growth > 0, seconds - crossing, crossing)


def _lookup(value: np.ndarray, q: np.ndarray, step: float) -> np.ndarray:
    """`value` over the queue grid (last axis, points `step` apart) at queues `q`, linear between grid points and
    past the end."""
    pos = np.clip(q / step, 0.0, None)
    i = np.minimum(pos.astype(int), value.shape[-1] - 2)
    frac = pos - i
    lo = np.take_along_axis(value, i, axis=-1)
    hi = np.take_along_axis(value, i + 1, axis=-1)
    return lo + (hi - lo) * frac


def _terminal(caps: np.ndarray, grid: np.ndarray, rate: float, st: PlanSettings) -> np.ndarray:
    """After the horizon: the SLO seconds left while the queue drains at each slot count (slow drains cost most),
    and the slots held on for `tail_s` more (the job runs on after the horizon: a plan that ends wide pays for it)."""
    spare = np.maximum(caps[:, None] - rate, 0.05 * rate)
    excess = np.maximum(0.0, grid[None, :] - rate * st.slo_s)
    slots = np.arange(1, len(caps) + 1, dtype=float)[:, None]
    return st.violation_cost * excess / spare + slots * st.tail_s
