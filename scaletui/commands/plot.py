"""`scaletui plot DIR`: redraw a run's PNG plots (Scalehub's `shub plot`)."""

from __future__ import annotations

import argparse

from scaletui.commands.run_names import RUN_NAMES, add_session_option, named_runs


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "plot",
        help="draw a run's throughput, latency and parallelism plots as PNG",
        description="Draw throughput (target vs achieved), latency and parallelism over time as PNG, with fault "
        f"windows shaded and decisions marked. {RUN_NAMES}",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a run's results directory, a session's, or a run id")
    add_session_option(parser)
    parser.add_argument("--out", metavar="DIR", help="write the PNGs here instead of <run>/plots/")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from scaletui.results.layout import PLOTS_DIR
    from scaletui.results.plots import plot_run
    from scaletui.results.rundata import load_run

    runs = named_runs(args)
    for run_dir in runs:
        data = load_run(run_dir)
        if not len(data.t):  # a run cut short before its first sample: empty frames would say nothing
            print(f"{run_dir}: no samples recorded, nothing to plot (its report.md says what the run recorded).",
                  file=sys.stderr)  # fmt: skip
            continue
        out = Path(args.out) / run_dir.name if args.out and len(runs) > 1 else Path(args.out or run_dir / PLOTS_DIR)
        for png in plot_run(data, out):
            print(png)
    return 0
