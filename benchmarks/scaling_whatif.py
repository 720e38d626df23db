"""What if a strategy's parameters were different: each variant against issue 15's bar, load by load, beside the
yardsticks run in the same invocation (threshold, slo-thesis, DS2 and the oracle, on the same loads and seed).

A variant is a strategy name with parameter overrides, checked like an experiment's strategy.params; for
`predictive-foresight`, `horizon=SECONDS` limits how much of the future it is told (scaling_foresight):

    .venv/bin/python benchmarks/scaling_whatif.py --jobs 2 predictive \\
        "predictive:violation_cost=10,rescale_cost=10,max_utilisation=1.0" \\
        "predictive-foresight:violation_cost=10,rescale_cost=10,max_utilisation=1.0,horizon=60"

`--interval`/`--cooldown` change the control loop for every strategy, the yardsticks included, and predictive's
plan step and cooldown with it (unless a variant sets `epoch`/`cooldown`). Per variant it prints the loads that meet
the whole bar, the mean SLO / slots / rescales ratios, then each load's ratios ('*' = meets the bar).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scaling  # noqa: E402
import scaling_traces  # noqa: E402
from scaling_foresight import NAME as FORESIGHT  # noqa: E402
from scaling_verdict import REACTIVE_RULES, Ratios, ratios  # noqa: E402

from scaletui.cluster.simulator.model import SimConfig, cluster_config  # noqa: E402
from scaletui.config.models import LoadSpec  # noqa: E402
from scaletui.config.units import parse_duration  # noqa: E402
from scaletui.errors import UserError  # noqa: E402
from scaletui.workload.profiles import LoadProfile, build_profile  # noqa: E402

YARDSTICKS = ("ds2", *REACTIVE_RULES)
PLANNERS = ("predictive", FORESIGHT)
"""Strategies whose plan step and cooldown follow the loop's (--interval, --cooldown)."""


@dataclass(frozen=True)
class Variant:
    label: str
    strategy: str
    params: dict[str, Any]
    horizon: float | None = None


def parse_variant(text: str) -> Variant:
    """`name[:key=value,...]`; numbers become floats, anything else stays a string (a duration like 10s)."""
    name, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    horizon = None
    for item in (x.strip() for x in rest.split(",") if x.strip()):
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UserError(f"variant {text!r}: {item!r} is not key=value.")
        if key == "horizon":
            if name != FORESIGHT:
                raise UserError(f"variant {text!r}: horizon= applies to {FORESIGHT} only.")
            horizon = parse_duration(value)
            continue
        try:
            params[key] = float(value)
        except ValueError:
            params[key] = value
    return Variant(text, name.strip(), params, horizon)


def run_variant(
    variant: Variant, load: str, profile: LoadProfile, config: SimConfig, args: argparse.Namespace
) -> tuple[str, str, scaling.Score]:
    params = dict(variant.params)
    if variant.strategy in PLANNERS:
        params.setdefault("epoch", args.interval)
        params.setdefault("cooldown", args.cooldown)
    run = scaling.run_one(
        variant.strategy,
        load,
        profile,
        config,
        args,
        scaling.ORACLE_CACHE,
        params or None,
        foresight_horizon=variant.horizon,
        interval=args.interval,
        cooldown=args.cooldown,
    )
    return variant.label, load, scaling.score(run, args.slo_ms, config.slots_per_taskmanager)


def report(variants: list[Variant], loads: list[str], scores: dict[tuple[str, str], scaling.Score]) -> str:
    lines = []
    for load in loads:
        best = min(scores[(r, load)].slo_s for r in REACTIVE_RULES)
        lines.append(f"{load}: best rule {best} SLO s, DS2 {scores[('ds2', load)].rescales} rescales")
    for v in variants:
        per_load: list[tuple[str, Ratios, scaling.Score]] = []
        for load in loads:
            s = scores[(v.label, load)]
            slo = {r: scores[(r, load)].slo_s for r in REACTIVE_RULES} | {v.label: s.slo_s}
            per_load.append((load, ratios(slo, s.slot_ratio, s.rescales, v.label, scores[("ds2", load)].rescales), s))
        met = sum(1 for _, r, _ in per_load if not r.misses())
        n = len(per_load)
        means = [sum(getattr(r, k) or 0.0 for _, r, _ in per_load) / n for k in ("slo", "slots", "rescales")]
        lines.append(f"\n{v.label}: meets the bar on {met}/{n}, means " + "/".join(f"{m:.2f}" for m in means))
        for load, r, s in per_load:
            mark = "*" if not r.misses() else " "
            lines.append(
                f"  {load:<14}{r.slo or 0.0:6.2f}/{r.slots:5.2f}/{r.rescales or 0.0:5.2f}{mark} "
                f"SLO {s.slo_s} s, {s.rescales} rescales"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variants", nargs="+", help="name[:key=value,...]")
    ap.add_argument("--loads", default=",".join(scaling.LOADS))
    ap.add_argument("--shapes", default=",".join(scaling_traces.SHAPES))
    ap.add_argument("--seeds", default=",".join(str(s) for s in scaling_traces.HELD_OUT_SEEDS))
    ap.add_argument("--duration", default="1h")
    ap.add_argument("--interval", default="10s", help="the control loop's decision interval, for every strategy")
    ap.add_argument("--cooldown", default="20s", help="the loop's cooldown after a rescale, for every strategy")
    ap.add_argument("--slo-ms", type=float, default=1000.0)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        args.duration = parse_duration(args.duration)
        args.interval, args.cooldown = parse_duration(args.interval), parse_duration(args.cooldown)
        variants = [parse_variant(v) for v in args.variants]
        profiles = {n: build_profile(LoadSpec.model_validate(scaling.LOADS[n])) for n in args.loads.split(",") if n}
        for shape in (x for x in args.shapes.split(",") if x):
            for seed in (int(x) for x in args.seeds.split(",") if x.strip()):
                profiles[f"{shape}-{seed}"] = scaling_traces.profile(shape, seed, args.duration)
        config = cluster_config(nodes=4, delay_ms=0.0, dt=0.2, seed=1)
        for v in variants:  # a wrong name or parameter fails here, in one sentence, not in a worker an hour in
            scaling.make_strategy("predictive" if v.strategy == FORESIGHT else v.strategy, [], v.params)
    except (UserError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    labels = {v.label for v in variants}
    runs = [Variant(name, name, {}) for name in YARDSTICKS if name not in labels] + list(
        {v.label: v for v in variants}.values()
    )
    jobs = [(v, load, profile, config, args) for v in runs for load, profile in profiles.items()]
    done = scaling.pool_map(run_variant, jobs, args.jobs)
    print(report(variants, list(profiles), {(label, load): s for label, load, s in done}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
