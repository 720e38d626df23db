"""One simulated run's record and its score: the columns of benchmarks/scaling.py's table and what the verdict reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from scaling_verdict import fmt

from scaletui.events import DecisionEvent


@dataclass
class Run:
    strategy: str
    load: str
    t: list[float] = field(default_factory=list)
    target: list[float] = field(default_factory=list)
    p99: list[float | None] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)
    oracle_slots: list[int] = field(default_factory=list)
    taskmanagers: list[int] = field(default_factory=list)
    below_oracle: list[bool] = field(default_factory=list)
    decisions: list[DecisionEvent] = field(default_factory=list)
    wall_s: float = 0.0


@dataclass(frozen=True)
class Score:
    to_oracle: float | None
    open_below: bool
    """The run ended below the oracle after trying (or for over two minutes): shown as "+never"."""
    slo_s: int
    slot_ratio: float
    rescales: int
    oscillations: int
    linear_trust: float | None
    slot_s: float
    tm_ratio: float


def score(run: Run, slo_ms: float, spt: int = 2) -> Score:
    applied = [d for d in run.decisions if d.applied]
    # a decision counts from when its change was in effect: `ts` is when it was made, `rescale_s` before that
    in_effect = [d.ts + (d.rescale_s or 0.0) for d in applied]
    slo_s = sum(1 for v in run.p99 if v is None or v > slo_ms)
    episodes: list[int] = []
    open_at: float | None = None
    for t, below in zip(run.t, run.below_oracle):
        if below and open_at is None:
            open_at = t
        elif not below and open_at is not None:
            n = sum(1 for at in in_effect if open_at - 1 <= at <= t)
            if n:
                episodes.append(n)
            open_at = None
    still_below = (
        open_at is not None
        and any(at >= open_at - 1 for at in in_effect)
        or (open_at is not None and run.t[-1] - open_at > 120)
    )
    sizes = [max(d.parallelism.values()) for d in applied]
    moves = [b - a for a, b in zip([run.slots[0]] + sizes, sizes) if b != a]
    oscillations = sum(1 for a, b in zip(moves, moves[1:]) if (a > 0) != (b > 0))
    return Score(
        to_oracle=sum(episodes) / len(episodes) if episodes else None,
        open_below=still_below,
        slo_s=slo_s,
        slot_ratio=sum(run.slots) / max(1, sum(run.oracle_slots)),
        rescales=len(applied),
        oscillations=oscillations,
        linear_trust=linear_trust(run.decisions),
        slot_s=float(sum(run.slots)),
        tm_ratio=sum(run.taskmanagers) / max(1, sum(-(-o // spt) for o in run.oracle_slots)),
    )


def linear_trust(decisions: list[DecisionEvent], op: str = "expensive") -> float | None:
    """Mean of (linear prediction of capacity at the new parallelism) / (capacity measured there), over scale-ups."""
    ratios = []
    for before, after in zip(decisions, decisions[1:]):
        if not before.applied:
            continue
        a, b = before.inputs["operators"].get(op), after.inputs["operators"].get(op)
        p_new = before.parallelism.get(op)
        if not a or not b or not p_new or p_new <= a["parallelism"] or b["parallelism"] != p_new:
            continue
        if not a["busy_ms"] or not b["busy_ms"] or a["busy_ms"] < 100 or b["busy_ms"] < 100:
            continue
        cap_before = a["in_rate"] / (a["busy_ms"] / 1000)
        cap_after = b["in_rate"] / (b["busy_ms"] / 1000)
        ratios.append(cap_before * p_new / a["parallelism"] / cap_after)
    return sum(ratios) / len(ratios) if ratios else None


def table(scores: dict[tuple[str, str], Score], loads: list[str], strategies: list[str]) -> str:
    head = f"{'strategy':<16}{'load':<10}{'dec->oracle':>12}{'SLO-viol s':>11}{'slot-s/orc':>11}{'rescales':>9}"
    head += f"{'oscill.':>8}{'lin.trust':>10}{'TM-s/orc':>9}{'SLO vs fop':>11}{'slot vs fop':>12}"
    lines = [head, "-" * len(head)]
    for load in loads:
        ref = scores.get(("flink-operator", load))
        for name in strategies:
            s = scores[(name, load)]
            slo_vs = None if ref is None or ref.slo_s == 0 else s.slo_s / ref.slo_s
            slot_vs = None if ref is None else s.slot_s / ref.slot_s
            reach = fmt(s.to_oracle, ".1f") if not s.open_below else (fmt(s.to_oracle, ".1f") + "+never").lstrip("-")
            lines.append(
                f"{name:<16}{load:<10}{reach:>12}{s.slo_s:>11}{s.slot_ratio:>11.2f}{s.rescales:>9}"
                f"{s.oscillations:>8}{fmt(s.linear_trust):>10}{s.tm_ratio:>9.2f}{fmt(slo_vs):>11}{fmt(slot_vs):>12}"
            )
        lines.append("")
    return "\n".join(lines)
