"""The oracle: the least parallelism per operator that sustains a source rate, from the simulator's own model.

Steady state at rate r: every operator receives r times the selectivities upstream of it; an instance needs that
share times its cost in cores, and its waits (`wait_ms`) take the rest of its time; the node's supply is shared
max-min (`model.water_level`). The search starts at 1
everywhere and adds one instance to the operator furthest from sustaining until all sustain, which, because adding an
instance never lowers another operator's capacity by more than it adds contention, gives the least parallelism per
operator for that placement. The same equations drive `engine.FlowEngine`, so "oracle" means exact for the
simulator, and only for it.
"""

from __future__ import annotations

from functools import lru_cache

from scaletui.cluster.simulator.model import SimConfig, busy_count, ceil_div, delay_factor, water_level


def operator_loads(config: SimConfig, rate: float) -> dict[str, float]:
    """Records per second reaching each operator when every source emits `rate`."""
    loads: dict[str, float] = {}
    for op in config.topological():
        if op.is_source:
            loads[op.name] = rate
        else:
            loads[op.name] = sum(loads[u] * config.operator(u).selectivity for u in op.upstream)
    return loads


def shortfall(config: SimConfig, rate: float, parallelism: dict[str, int]) -> dict[str, float]:
    """Per operator, demand over what it gets (<= 1 sustains), with as many TaskManagers as the slots need."""
    loads = operator_loads(config, rate)
    tms = ceil_div(max(parallelism.values()), config.slots_per_taskmanager)
    slots = config.slot_nodes(tms)
    placement: dict[str, dict[str, int]] = {}
    for name, p in parallelism.items():
        counts: dict[str, int] = {}
        for j in range(p):
            counts[slots[j]] = counts.get(slots[j], 0) + 1
        placement[name] = counts
    used = {n for c in placement.values() for n in c}
    demand: dict[tuple[str, str], float] = {}
    per_node: dict[str, list[float]] = {n: [] for n in used}
    for op in config.operators:
        for node, count in placement[op.name].items():
            d = loads[op.name] / parallelism[op.name] * op.cost_ms / delay_factor(config, node, used) / 1000.0
            demand[(op.name, node)] = d
            per_node[node].extend([min(1.0, d)] * count)
    levels = {n: water_level(ds, config.node(n).supply(busy_count(ds))) for n, ds in per_node.items()}
    out = {}
    for op in config.operators:
        waiting = loads[op.name] / parallelism[op.name] * op.wait_ms / 1000.0  # the share of its time it waits
        ratios = [demand[(op.name, n)] / levels[n] if levels[n] > 0 else float("inf") for n in placement[op.name]]
        out[op.name] = max(ratios) + waiting
    return out


def oracle_parallelism(config: SimConfig, rate: float) -> dict[str, int] | None:
    """Least parallelism per operator sustaining `rate`, or None when no placement within the limits does."""
    return dict(_oracle(config, round(rate, 1)) or {}) or None


@lru_cache(maxsize=4096)
def _oracle(config: SimConfig, rate: float) -> tuple[tuple[str, int], ...] | None:
    p = {op.name: 1 for op in config.operators}
    max_slots = config.max_taskmanagers * config.slots_per_taskmanager
    for _ in range(sum(op.max_parallelism for op in config.operators) + 1):
        ratios = shortfall(config, rate, p)
        worst = max(ratios, key=lambda n: ratios[n])
        if ratios[worst] <= 1.0 + 1e-9:
            return tuple(sorted(p.items()))
        if p[worst] + 1 > min(config.operator(worst).max_parallelism, max_slots):
            return None
        p[worst] += 1
    return None


def sustains(config: SimConfig, rate: float, parallelism: dict[str, int]) -> bool:
    return all(r <= 1.0 + 1e-9 for r in shortfall(config, rate, parallelism).values())
