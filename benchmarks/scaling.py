"""Scaling strategies side by side on the simulator: the same job, the same loads, the same seed.

Every strategy (its conf/strategies/<name>.toml, plus "flink-operator*", the operator's rule with windows short
enough for an hour-long run, "schedule", fed a plan made from the oracle with 10 % headroom, as a bound, and on request
"predictive-foresight", predictive told the load's future and the exact capacities, see scaling_foresight) drives
a simulated cluster of 2-core nodes calibrated to the local Flink figures, through the same control loop the app
uses, on the loads step, ramp, sine, spike, on traces generated from a seed (scaling_traces: diurnal, bursts,
flash crowds, slow drift, noise; --seeds picks them, by default seeds no strategy was tuned on) and every --trace
CSV (t,rate). Per strategy and load:

  dec->oracle   mean applied decisions from the moment the job falls below the oracle parallelism until it is back
                at or above it (episodes that end because the load fell are not counted; "-" when none;
                "+never" when the run ends below the oracle after trying, or for over two minutes)
  SLO-viol s    seconds whose p99 latency is above --slo-ms, or unmeasured because the job was restarting
  slot-s/orc    slot-seconds used (slots = widest operator, Flink slot sharing) over the oracle's slot-seconds
  rescales      applied decisions; oscill. = reversals of direction between consecutive rescales
  lin.trust     for scale-ups of the expensive operator: capacity a linear busy-time model predicted (true rate
                before x new/old parallelism) over the capacity measured after; > 1 means extra slots were
                over-trusted
  TM-s/orc      TaskManager-seconds over the oracle's (TaskManagers for its slots): what keeping TaskManagers
                warm costs, which slot-seconds do not show
  vs flink-op   SLO-violation seconds and slot-seconds over those of flink-operator on the same load

Then the verdict (scaling_verdict): every strategy against issue 15's bar per load, its mean and its worst load,
beside what the best schedule knowing the whole trace reaches under the same rescale count (scaling_hindsight).

    .venv/bin/python benchmarks/scaling.py [--seeds 101] [--shapes diurnal,...] [--trace FILE.csv ...]
        [--jobs 2] [--out benchmarks/out] [--duration 1h] [--live]

--live then runs the top strategies and flink-operator on a short step and spike on real local Flink and on the
simulator calibrated to this machine, and prints both rankings side by side (scaling_live).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

from scaletui.cluster.simulator import SimulatedCluster
from scaletui.cluster.simulator.model import SimConfig, cluster_config
from scaletui.cluster.simulator.oracle import oracle_parallelism
from scaletui.config.models import LoadSpec, StrategySpec
from scaletui.config.units import parse_duration
from scaletui.errors import UserError
from scaletui.events import DecisionEvent, EventBus
from scaletui.scaling.controller import ScalingController
from scaletui.scaling.registry import create_strategy, load_strategy
from scaletui.scaling.strategy import Strategy
from scaletui.workload.profiles import LoadProfile, build_profile

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling benchmark modules, also when loaded by path
import scaling_traces  # noqa: E402
from scaling_foresight import NAME as FORESIGHT  # noqa: E402
from scaling_foresight import foresight_strategy  # noqa: E402
from scaling_hindsight import yardstick  # noqa: E402
from scaling_plot import dedicated, plot  # noqa: E402
from scaling_score import Run, Score, score, table  # noqa: E402
from scaling_verdict import SLO_BAR, SLOT_BAR, Ratios, fmt, ratios, verdict_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOADS: dict[str, dict] = {
    "step": {"profile": "step", "rate": 300, "steps": [["5m", 900], ["25m", 1300], ["45m", 500]]},
    "ramp": {"profile": "ramp", "start": 200, "end": 1300, "duration": "30m", "at": "10m"},
    "sine": {"profile": "sine", "mean": 750, "amplitude": 450, "period": "20m"},
    "spike": {"profile": "spike", "rate": 400, "peak": 1200, "at": "15m", "duration": "2m", "every": "20m"},
}
FAST_FLINK = {"metrics_window": "2m", "stabilization_interval": "1m", "scale_down_interval": "10m"}
STRATEGIES = (
    "predictive",
    "transscale",
    "ds2",
    "flink-operator",
    "flink-operator*",
    "slo-thesis",
    "threshold",
    "schedule",
)


def oracle_of(config: SimConfig, rate: float, cache: dict[int, dict[str, int] | None]) -> dict[str, int] | None:
    key = int(round(rate))
    if key not in cache:
        cache[key] = oracle_parallelism(config, key)
    return cache[key]


def oracle_plan(config: SimConfig, profile: LoadProfile, duration: float, cache: dict) -> list[dict]:
    """A plan for the schedule strategy: every minute, the oracle of the coming 70 s's peak rate + 10 %."""
    plan = []
    for start in range(0, int(duration), 60):
        peak = 1.1 * max(profile.rate_at(start + s) for s in range(0, 71, 5))
        p = oracle_of(config, peak, cache) or {}
        if p:
            plan.append({"at": float(start), "parallelism": p})
    return plan


def make_strategy(name: str, plan: list[dict], params: dict[str, Any] | None = None) -> Strategy:
    """`name` as conf/strategies configures it, with `params` (checked like an experiment's strategy.params) on
    top."""
    if name == "flink-operator*":
        base = load_strategy(StrategySpec.model_validate({"name": "flink-operator"}), ROOT / "conf")
        merged = {**{k: getattr(base.params, k) for k in vars(base.params)}, **FAST_FLINK, **(params or {})}
        return create_strategy("flink-operator", merged)
    if name == "schedule":
        return create_strategy("schedule", {"plan": plan, **(params or {})})
    return load_strategy(StrategySpec.model_validate({"name": name, "params": params or {}}), ROOT / "conf")


def run_one(
    name: str,
    load: str,
    profile: LoadProfile,
    config: SimConfig,
    args: argparse.Namespace,
    cache: dict,
    params: dict[str, Any] | None = None,
    foresight_horizon: float | None = None,
    interval: float = 10.0,
    cooldown: float = 20.0,
) -> Run:
    """One simulated run; `params` override the strategy's, `foresight_horizon` limits what predictive-foresight
    is told of the future, `interval` and `cooldown` are the control loop's (an experiment's defaults; scaling_whatif
    changes them)."""
    sim = SimulatedCluster(config, profile)
    bus = EventBus()
    run = Run(name, load)
    bus.subscribe(lambda e: run.decisions.append(e), DecisionEvent)  # type: ignore[arg-type]
    spec = StrategySpec.model_validate(
        {
            "name": name.rstrip("*"),
            "max_parallelism": config.max_taskmanagers * config.slots_per_taskmanager,
            "max_taskmanagers": config.max_taskmanagers,
            "max_slots": config.max_taskmanagers * config.slots_per_taskmanager,
            "interval": interval,
            "cooldown": cooldown,
        }
    )
    if name == FORESIGHT:
        base = make_strategy("predictive", [], params)
        strategy: Strategy = foresight_strategy(base, profile, config, foresight_horizon)
    else:
        plan = oracle_plan(config, profile, args.duration, cache) if name == "schedule" else []
        strategy = make_strategy(name, plan, params)
    ctl = ScalingController(sim, strategy, spec, bus, clock=sim.clock)
    cancel = threading.Event()
    started = time.perf_counter()
    while sim.now < args.duration:
        ctl.tick()
        sample, par = sim.sample(), sim.engine.parallelism
        oracle = oracle_of(config, sim.target_rate(), cache) or {}
        run.t.append(sim.now)
        run.target.append(sim.target_rate())
        run.p99.append(sample.latency_ms.get("p99"))
        run.slots.append(max(par.values()))
        run.oracle_slots.append(max(oracle.values()) if oracle else run.slots[-1])
        run.taskmanagers.append(sim.engine.taskmanagers + len(sim.engine.pending_taskmanagers))
        run.below_oracle.append(any(par[k] < v for k, v in oracle.items()))
        sim.clock.sleep(1.0, cancel)
    run.wall_s = time.perf_counter() - started
    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trace", action="append", default=[], help="a t,rate CSV to replay as one more load")
    ap.add_argument("--shapes", default=",".join(scaling_traces.SHAPES), help="generated trace shapes ('' for none)")
    ap.add_argument(
        "--seeds",
        default=",".join(str(s) for s in scaling_traces.HELD_OUT_SEEDS),
        help="seeds of the generated traces (default: held out, never tuned on)",
    )
    ap.add_argument("--write-traces", metavar="DIR", help="also write the generated traces as t,rate CSVs here")
    ap.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "out"),
        help="where the PNG per load goes, and with --live each run's series and decisions (live-<date>-<time>.json)",
    )
    ap.add_argument("--duration", default="1h", help="simulated length of each run (default 1h)")
    ap.add_argument("--nodes", type=int, default=4, help="2-core nodes, one TaskManager of 2 slots each")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="network delay each node adds")
    ap.add_argument("--slo-ms", type=float, default=1000.0, help="p99 latency bound for SLO-violation seconds")
    ap.add_argument("--dt", type=float, default=0.2, help="simulation step in seconds")
    ap.add_argument("--seed", type=int, default=1, help="seed of the simulator's measurement noise")
    ap.add_argument("--jobs", type=int, default=1, help="simulations run in parallel processes")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--loads", default=",".join(LOADS))
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--no-overtrust", action="store_true", help="skip the linear model's over-trust table")
    ap.add_argument("--live", action="store_true", help="also the step and spike on real local Flink (long)")
    ap.add_argument("--live-strategies", default="predictive,transscale,threshold,flink-operator*,flink-operator")
    ap.add_argument("--live-duration", default="10m", help="length of each live run (step, then spike)")
    ap.add_argument("--live-low", type=float, default=150.0, help="live base rate (r/s)")
    ap.add_argument("--live-high", type=float, default=600.0, help="live step and spike rate (r/s)")
    ap.add_argument("--live-cost-ms", type=float, default=2.0, help="CPU ms per record of the expensive operator")
    ap.add_argument("--cache", default="~/.cache/scaletui", help="where Flink is cached (FLINK_HOME wins)")
    args = ap.parse_args(argv)
    try:
        args.duration = parse_duration(args.duration)
        args.live_seconds = parse_duration(args.live_duration)
        profiles = {name: build_profile(LoadSpec.model_validate(LOADS[name])) for name in args.loads.split(",") if name}
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
        for shape in (x for x in args.shapes.split(",") if x):
            for seed in seeds:
                profiles[f"{shape}-{seed}"] = scaling_traces.profile(shape, seed, args.duration)
                if args.write_traces:
                    Path(args.write_traces).mkdir(parents=True, exist_ok=True)
                    scaling_traces.write_csv(shape, seed, args.duration, Path(args.write_traces))
        for path in args.trace:
            profiles[Path(path).stem] = build_profile(LoadSpec.model_validate({"profile": "replay", "file": path}))
    except (UserError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    strategies = [s for s in args.strategies.split(",") if s]
    config = cluster_config(nodes=args.nodes, delay_ms=args.delay_ms, dt=args.dt, seed=args.seed)
    jobs = [(name, load, profile, config, args) for load, profile in profiles.items() for name in strategies]
    started = time.perf_counter()
    done = pool_map(run_cached, jobs, args.jobs)
    wall = time.perf_counter() - started
    scores = {(run.strategy, run.load): score(run, args.slo_ms, config.slots_per_taskmanager) for run in done}
    runs: dict[str, list[Run]] = {}
    for run in done:
        runs.setdefault(run.load, []).append(run)
    if scores:
        cpu = sum(run.wall_s for run in done)
        print(
            f"simulated {len(scores)} runs of {args.duration / 60:.0f} min on {args.nodes} 2-core nodes in "
            f"{wall:.0f} s ({args.jobs} process(es); about {args.duration * len(scores) / max(cpu, 1e-9):.0f}x "
            "faster than real time each)\n"
        )
        print(table(scores, list(profiles), strategies))
        print("flink-operator* = flink-operator with " + ", ".join(f"{k}={v}" for k, v in FAST_FLINK.items()))
        print(
            "schedule = the schedule strategy fed a plan made from the oracle "
            "(every minute, the next 70 s's peak + 10 %)"
        )
        if FORESIGHT in strategies:
            print(f"{FORESIGHT} = predictive planning on the load's true future rate and the exact capacities")
        print()
        print(verdict(scores, runs, list(profiles), strategies, config, profiles, args) + "\n")
    if not args.no_overtrust:
        overtrust(config, args, profiles)
    if args.live:
        from scaling_live import compare_live

        try:
            live = [s for s in args.live_strategies.split(",") if s and s != "schedule"]
            print(compare_live(args, live, lambda name: make_strategy(name, [])))
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return 3
    if not args.no_plots:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for load, load_runs in runs.items():
            print(f"plot: {plot(load, load_runs, out, args.slo_ms)}")
    return 0


def run_cached(name: str, load: str, profile: LoadProfile, config: SimConfig, args: argparse.Namespace) -> Run:
    """One run with this process's oracle cache (the oracle is a search; rates repeat across runs)."""
    return run_one(name, load, profile, config, args, ORACLE_CACHE)


ORACLE_CACHE: dict[int, dict[str, int] | None] = {}
"""The oracle's parallelism per integer rate, per process, shared by its runs (scaling_whatif's too)."""


def verdict(
    scores: dict[tuple[str, str], Score],
    runs: dict[str, list[Run]],
    loads: list[str],
    strategies: list[str],
    config: SimConfig,
    profiles: dict[str, LoadProfile],
    args: argparse.Namespace,
) -> str:
    slo = {load: {s: scores[(s, load)].slo_s for s in strategies} for load in loads}
    jobs, judged = [], []
    for load in loads:
        ds2 = scores.get(("ds2", load))
        rules = [slo[load][r] for r in ("threshold", "slo-thesis") if r in slo[load]]
        if ds2 is None or not rules or not runs.get(load):
            continue
        rates = [profiles[load].rate_at(t) for t in range(int(args.duration))]
        oracle_s = float(sum(runs[load][0].oracle_slots))
        jobs.append((rates, config, int(0.4 * ds2.rescales + 1e-9), SLO_BAR * min(rules), SLOT_BAR, oracle_s))
        judged.append(load)
    hindsight = dict(zip(judged, pool_map(_yardstick_cell, jobs, args.jobs)))

    def get(name: str, load: str) -> Ratios | None:
        s = scores.get((name, load))
        ds2 = scores.get(("ds2", load))
        if s is None:
            return None
        return ratios(slo[load], s.slot_ratio, s.rescales, name, None if ds2 is None else ds2.rescales)

    table = verdict_table(loads, strategies, get, hindsight)
    within = sum(1 for cell in hindsight.values() if cell not in ("out", "open"))
    if hindsight:
        table += (
            f"\nhindsight: the whole bar is within reach of a schedule that knows the trace on {within} of "
            f"{len(hindsight)} loads"
        )
    return table


def _yardstick_cell(
    rates: list[float], config: SimConfig, rescales: int, slo_budget: float, slot_bar: float, oracle_s: float
) -> str:
    return yardstick(rates, config, rescales, slo_budget, slot_bar, oracle_s)[0]


def pool_map(fn, jobs: list[tuple], processes: int) -> list:  # type: ignore[no-untyped-def,type-arg]
    """`fn` over `jobs` in `processes` worker processes (in this one when 1), results in the jobs' order."""
    if processes > 1 and len(jobs) > 1:
        from multiprocessing import Pool

        with Pool(processes) as pool:
            return pool.starmap(fn, jobs)
    return [fn(*job) for job in jobs]


def overtrust(config: SimConfig, args: argparse.Namespace, profiles: dict[str, LoadProfile]) -> None:
    """The linear busy-time model's over-trust on shared 2-core nodes against 4-core nodes, on the step load."""
    if "step" not in profiles:
        return
    print("linear busy-time model, predicted / measured capacity after scale-ups, step load:")
    print(f"{'strategy':<16}{'shared 2-core':>15}{'dedicated 4-core':>18}{'SLO-viol s shared/ded.':>24}")
    for name in ("ds2", "transscale", "threshold"):
        shared = score(run_one(name, "step", profiles["step"], config, args, {}), args.slo_ms)
        ded = score(run_one(name, "step", profiles["step"], dedicated(config), args, {}), args.slo_ms)
        print(f"{name:<16}{fmt(shared.linear_trust):>15}{fmt(ded.linear_trust):>18}{shared.slo_s:>14} / {ded.slo_s}")
    print()


if __name__ == "__main__":
    sys.exit(main())
