"""The experiment's guard rails, applied to every decision whatever strategy made it."""

from __future__ import annotations

from scaletui.config.models import StrategySpec
from scaletui.scaling.observation import Decision, Observation


def guard(spec: StrategySpec, decision: Decision, obs: Observation) -> tuple[Decision, list[str]]:
    """Clamp a decision to the min/max parallelism, max slots and max TaskManagers; the notes say what was clamped
    and why. Operators the job does not have are dropped, and enough TaskManagers are kept for the slots asked."""
    notes: list[str] = []
    spt = obs.slots_per_taskmanager
    slot_cap = spec.max_slots if spt is None else min(spec.max_slots, spec.max_taskmanagers * spt)
    parallelism = dict(obs.parallelism)
    for name, want in decision.parallelism.items():
        op = obs.operators.get(name)
        if op is None:
            notes.append(f"{name} is not an operator of the job")
            continue
        hi = min(spec.max_parallelism, op.max_parallelism, slot_cap)
        got = min(max(want, min(spec.min_parallelism, hi)), hi)
        if got != want:
            limit = "max_parallelism" if want > got else "min_parallelism"
            notes.append(f"{name} {want}->{got} by {limit}")
        parallelism[name] = got
    needed = -(-max(parallelism.values()) // spt) if parallelism and spt else 1
    tms = decision.taskmanagers if decision.taskmanagers is not None else obs.taskmanagers
    if tms is not None:
        wanted = tms
        cap = spec.max_taskmanagers if spt is None else min(spec.max_taskmanagers, max(1, spec.max_slots // spt))
        tms = min(max(tms, needed), cap)
        if tms != wanted:
            notes.append(f"TaskManagers {wanted}->{tms} by the slot and TaskManager limits")
    return Decision(parallelism, tms, decision.reason), notes
