"""`scaletui scalability EXPERIMENT --loads 200,400,...`: Theodolite's demand metric for an experiment."""

from __future__ import annotations

import argparse
from types import FrameType


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "scalability",
        help="the least parallelism that holds the SLO at each load (Theodolite's demand metric)",
        description="For each load level, find by short runs of EXPERIMENT on its platform (simulator, local or "
        "testbed) the least parallelism, and the TaskManagers its slots need, that holds the experiment's [slo]. "
        "Each trial is the experiment at a constant load with fixed parallelism and no autoscaler. Writes "
        "demand.csv, demand.json, trials.csv, demand.png and report.md, and answers 'how many slots at N r/s'. "
        "While a trial runs, its progress shows under it, with how many trials are left at most.",
        epilog="exit codes: 0 every load held at some parallelism; 5 (SLO check failed) some load was not held by "
        "any parallelism tried, or was not tried since a lower one was not; 130 interrupted (Ctrl-C or SIGTERM): "
        "the trial under way stops and the results keep what the trials before it showed, with the interrupted "
        "load's bounds and the loads not tried; 2 configuration error; 3 platform error.",
    )
    parser.add_argument("experiment", metavar="EXPERIMENT", help="an experiment file with an [slo] table")
    parser.add_argument("--loads", required=True, help="load levels in records/s, comma-separated: 200,400,800")
    parser.add_argument("--search", choices=("linear", "binary"), default="linear", help="search strategy")
    parser.add_argument(
        "--no-restrict",
        dest="restrict",
        action="store_false",
        help="search every load from parallelism 1 (default: start at the demand of the load below)",
    )
    parser.add_argument("--operators", default="", help="operators whose parallelism is the resource (comma list)")
    parser.add_argument("--max-parallelism", type=int, help="largest parallelism to try (default: the guard rail)")
    parser.add_argument("--duration", help='length of each trial, e.g. "90s" (default: the experiment\'s)')
    parser.add_argument(
        "--warmup", default="30s", help="start of each trial left out of the lag and rate checks (default %(default)s)"
    )
    parser.add_argument(
        "--min-throughput", type=float, default=0.95, help="achieved/target rate a trial needs (default %(default)s)"
    )
    parser.add_argument(
        "--max-lag-slope", type=float, default=0.0, help="records/s the backlog may grow by (0: 1 %% of the load)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="where results go, a new or empty directory (default: results/<session>/scalability-...)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading
    from pathlib import Path

    from scaletui.config.loader import load_app_config
    from scaletui.config.units import parse_duration
    from scaletui.engine import Engine
    from scaletui.engine.prepare import prepare_experiment
    from scaletui.errors import ConfigError, SloError
    from scaletui.scalability.benchmark import BenchmarkPlan, run_benchmark
    from scaletui.scalability.progress import BenchmarkPrinter
    from scaletui.scalability.trial import TrialInterrupted

    try:
        loads = tuple(float(x) for x in args.loads.split(",") if x.strip())
        duration = parse_duration(args.duration) if args.duration else None
        warmup = parse_duration(args.warmup)
    except ValueError:
        raise ConfigError(
            f"--loads {args.loads!r} / --duration / --warmup: expected numbers like 200,400 and durations like 90s."
        ) from None
    if duration is not None and duration <= 0 or args.max_parallelism is not None and args.max_parallelism < 1:
        raise ConfigError(  # both read as "unset" further on: a 0 would run the defaults without a word
            f"--duration {args.duration} / --max-parallelism {args.max_parallelism}: expected a duration above 0 and "
            "a parallelism of at least 1."
        )
    if args.out and Path(args.out).is_dir() and any(Path(args.out).iterdir()):
        raise ConfigError(
            f"--out {args.out} is not empty: its earlier trials would mix with this benchmark's.",
            "Give a new directory, or leave --out out for a fresh one under results/.",
        )
    config = load_app_config(args.config)
    prepared = prepare_experiment(args.experiment, config.paths.conf)
    plan = BenchmarkPlan(
        loads=loads,
        search=args.search,
        restrict=args.restrict,
        operators=tuple(x for x in args.operators.split(",") if x),
        duration=duration,
        warmup=warmup,
        max_parallelism=args.max_parallelism,
        min_throughput=args.min_throughput,
        max_lag_slope=args.max_lag_slope,
    )
    # its trials do not become the app's live controls
    engine = Engine(config, args.session, headless=True, owner=f"scalability {args.experiment}")
    printer = BenchmarkPrinter()
    unsubscribe = engine.bus.subscribe(printer.on_progress)
    cancel = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if not cancel.is_set():
            cancel.set()
            print(f"\nscaletui: {signal.Signals(signum).name} received, stopping the trial...", file=sys.stderr)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        out_dir = Path(args.out) if args.out else None
        result, out, written = run_benchmark(
            engine, prepared, Path(config.paths.conf), plan, cancel, out_dir, printer, printer.trial
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        unsubscribe()
        printer.close()
        engine.close()
    print("demand:")
    for point in result.points:
        print(f"  {result.answer(point.load)}")
    missing, untried = result.loads("not held"), result.loads("not tried")
    if missing:
        skipped = [p.load for p in result.points if p.nothing_held_at is not None]
        said = f"; {_loads(skipped)} r/s not tried, since demand never falls as load grows" if skipped else ""
        print(f"not held: no parallelism up to {result.max_parallelism} held the SLO at {_loads(missing)} r/s{said}.")
    print(f"results: {out} ({', '.join(p.name for p in written)})")
    if result.interrupted is not None:
        left = f"; loads {_loads(untried)} r/s not tried" if untried else ""
        print(f"scaletui: {result.interrupted.line()}{left}. Partial results are in {out}.", file=sys.stderr)
        return TrialInterrupted.exit_code
    return SloError.exit_code if missing else 0


def _loads(loads: list[float]) -> str:
    return ", ".join(f"{x:g}" for x in loads)
