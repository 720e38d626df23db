"""Choose the parallelism now by planning the next minutes: model predictive control over a few decision epochs.

The horizon is cut into epochs as long as one decision takes to pay off. Each epoch needs a source rate (the forecast
peak in it); a candidate parallelism vector is feasible in an epoch when every operator's predicted MST covers its
share of that rate. The plan minimises slot-seconds plus `rescale_cost` slot-seconds per change (a rescale stops
the job and its backlog must be caught up); only its first step is applied, and the next decision plans again
with new measurements. So a load that will rise past two levels is met in one step, and a scale-down that saves one
slot for a minute is not worth a restart while one that saves five is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Vector = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Plan:
    first: dict[str, int]
    cost: float
    steps: tuple[int, ...]
    """Slots of each epoch's choice, for the decision's reason."""


def plan(
    current: dict[str, int],
    needs: list[float],
    epoch_s: float,
    sizing: Callable[[float], dict[str, int]],
    covers: Callable[[dict[str, int], float], bool],
    rescale_cost: float,
    allowed: Callable[[dict[str, int], int], bool] = lambda v, k: True,
    change_extra: float = 0.0,
) -> Plan:
    """`needs`: source rate per epoch; `sizing(rate)`: the least vector covering it; `covers(vector, rate)`;
    `allowed(vector, epoch)`: whether a vector with fewer slots than now may run in that epoch (lazy scale-down,
    judged on the rates seen and forecast up to it, so the plan does not keep deferring a scale-down it may never
    take); `change_extra`: the share of the rate a vector must cover on top in an epoch it is entered in (the
    restart's backlog to catch up)."""
    candidates: dict[Vector, dict[str, int]] = {}
    for v in [dict(current)] + [sizing(r * f) for r in sorted(set(needs)) for f in (1.0, 1.0 + change_extra)]:
        full = {**current, **v}
        candidates[tuple(sorted(full.items()))] = full
    keys = list(candidates)
    inf = float("inf")

    def slots(key: Vector) -> int:
        return max((p for _, p in key), default=1)

    here = tuple(sorted(current.items()))
    now_slots = slots(here)

    def may_run(key: Vector, epoch: int) -> bool:
        return slots(key) >= now_slots or allowed(candidates[key], epoch)

    best: dict[Vector, tuple[float, tuple[Vector, ...]]] = {}
    for key in keys:
        vec = candidates[key]
        if key != here and (not covers(vec, needs[0] * (1 + change_extra)) or not may_run(key, 0)):
            continue
        if key == here and not covers(vec, needs[0]):
            continue
        best[key] = ((0.0 if key == here else rescale_cost) + epoch_s * slots(key), (key,))
    for epoch, need in enumerate(needs[1:], start=1):
        nxt: dict[Vector, tuple[float, tuple[Vector, ...]]] = {}
        for key in keys:
            if not covers(candidates[key], need) or not may_run(key, epoch):
                continue
            entered = covers(candidates[key], need * (1 + change_extra))
            options = [
                (cost + (0.0 if prev == key else rescale_cost) + epoch_s * slots(key), path + (key,))
                for prev, (cost, path) in best.items()
                if prev == key or entered
            ]
            if options:
                nxt[key] = min(options, key=lambda o: o[0])
        if not nxt:
            break
        best = nxt
    if not best:
        widest = max(keys, key=slots)
        return Plan(dict(candidates[widest]), inf, (slots(widest),))
    cost, path = min(best.values(), key=lambda o: o[0])
    return Plan(dict(candidates[path[0]]), cost, tuple(slots(k) for k in path))
