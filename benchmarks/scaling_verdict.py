"""The verdict part of benchmarks/scaling.py: each strategy against issue 15's bar, per load and at its worst.

The bar, per load: SLO-violation seconds at most 1.1x the best reactive rule's (threshold or slo-thesis, whichever
violated less), slot-seconds at most 1.1x the oracle's, rescales at most 0.4x DS2's. A strategy's worst load is the
load where it misses the bar by most (the largest of its three ratios over their bounds), shown beside its mean.

The "hindsight" column says what the best schedule that knows the whole trace reaches under the same rescale
count (scaling_hindsight): the least slot ratio among its schedules within the SLO bar ("1.05" met, "out" when no
schedule meets both bars, with its certificate, "open" when the sweep cannot tell). A load that is "out" is out of
reach of every strategy; the gap between a strategy and "hindsight" is what not knowing the future costs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

SLO_BAR, SLOT_BAR, RESCALE_BAR = 1.1, 1.1, 0.4
REACTIVE_RULES = ("threshold", "slo-thesis")


@dataclass(frozen=True)
class Ratios:
    slo: float | None
    """SLO-violation seconds over the best reactive rule's (None when neither rule ran)."""
    slots: float
    rescales: float | None
    """Rescales over DS2's (None when DS2 did not run)."""

    def misses(self) -> list[str]:
        out = []
        if self.slo is not None and self.slo > SLO_BAR + 1e-9:
            out.append("SLO")
        if self.slots > SLOT_BAR + 1e-9:
            out.append("slots")
        if self.rescales is not None and self.rescales > RESCALE_BAR + 1e-9:
            out.append("rescales")
        return out

    def worst(self) -> float:
        """The largest ratio over its bar: <= 1 meets the whole bar."""
        parts = [self.slots / SLOT_BAR]
        if self.slo is not None:
            parts.append(self.slo / SLO_BAR)
        if self.rescales is not None:
            parts.append(self.rescales / RESCALE_BAR)
        return max(parts)


def ratios(slo_s: dict[str, int], slot_ratio: float, rescales: int, name: str, ds2_rescales: int | None) -> Ratios:
    """`slo_s`: SLO-violation seconds of every strategy on this load, by name."""
    rules = [slo_s[r] for r in REACTIVE_RULES if r in slo_s]
    best = min(rules) if rules else None
    slo = None if best is None else (slo_s[name] / best if best > 0 else (0.0 if slo_s[name] == 0 else math.inf))
    resc = None if ds2_rescales is None else rescales / max(1, ds2_rescales)
    return Ratios(slo, slot_ratio, resc)


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def verdict_table(
    loads: list[str],
    strategies: list[str],
    get: Callable[[str, str], Ratios | None],
    hindsight: dict[str, str],
) -> str:
    """Per load: each strategy's three ratios and what it misses; then per strategy its mean and worst load."""
    judged = [s for s in strategies if s not in REACTIVE_RULES and s != "ds2"]
    head = f"{'load':<12}{'hindsight':>12}  " + "".join(f"{s[:22]:>24}" for s in judged)
    lines = [
        f"the bar: SLO-viol <= {SLO_BAR}x best of {'/'.join(REACTIVE_RULES)}, slot-s <= {SLOT_BAR}x oracle, "
        f"rescales <= {RESCALE_BAR}x DS2; cells are SLO/slots/rescales ratios, '*' = meets the whole bar",
        head,
        "-" * len(head),
    ]
    for load in loads:
        cells = []
        for name in judged:
            r = get(name, load)
            cells.append(
                "-"
                if r is None
                else f"{fmt(r.slo)}/{fmt(r.slots)}/{fmt(r.rescales)}{'*' if not r.misses() else ' '}".rjust(24)
            )
        lines.append(f"{load:<12}{hindsight.get(load, '-'):>12}  " + "".join(f"{c:>24}" for c in cells))
    lines.append("")
    lines.append(f"{'strategy':<18}{'loads met':>10}{'mean SLO':>10}{'mean slot':>10}{'mean resc':>10}  worst load")
    for name in judged:
        got = [(load, r) for load in loads if (r := get(name, load)) is not None]
        if not got:
            continue
        met = sum(1 for _, r in got if not r.misses())
        worst_load, worst = max(got, key=lambda lr: lr[1].worst())

        def mean(xs: list[float | None]) -> float | None:
            vals = [x for x in xs if x is not None and math.isfinite(x)]
            return sum(vals) / len(vals) if vals else None

        lines.append(
            f"{name:<18}{f'{met}/{len(got)}':>10}{fmt(mean([r.slo for _, r in got])):>10}"
            f"{fmt(mean([r.slots for _, r in got])):>10}{fmt(mean([r.rescales for _, r in got])):>10}  "
            f"{worst_load} ({fmt(worst.slo)}/{fmt(worst.slots)}/{fmt(worst.rescales)}, misses "
            f"{', '.join(worst.misses()) or 'nothing'})"
        )
    return "\n".join(lines)
