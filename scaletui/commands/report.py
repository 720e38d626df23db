"""`scaletui report DIR`: rebuild report.md and the plots of a run (or of every run in a session directory)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="rebuild report.md and plots of a run from its results directory",
        description="Rebuild report.md and plots/*.png of a run from its results directory alone. DIR is a run "
        "(results/<session>/<run-id>) or a session directory, whose runs are each reported.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a run's results directory, or a session's")
    parser.add_argument("--no-plots", action="store_true", help="write report.md without the PNG plots")
    parser.add_argument(
        "--check-slo",
        action="store_true",
        help="exit with code 5 when a run broke the SLO its experiment file asserts, or did not run to its end "
        "(interrupted, failed: its SLO is not judged)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.results.layout import runs_under
    from scaletui.results.report import report_run
    from scaletui.results.summary import summary_table

    failed = None
    for run_dir in runs_under(args.dirs):
        path, summary = report_run(run_dir, plots=not args.no_plots)
        print(f"{path}\n\n{summary_table(summary)}\n")
        if args.check_slo and summary.slo is not None and not summary.slo.passed:
            failed = summary.slo
    if failed is not None:
        error = failed.error()
        assert error is not None
        raise error
    return 0
