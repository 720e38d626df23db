"""`scaletui report DIR`: rebuild report.md and the plots of a run (or of every run in a session directory)."""

from __future__ import annotations

import argparse

from scaletui.commands.run_names import RUN_NAMES, add_session_option, named_runs


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="rebuild report.md and plots of a run from its results directory",
        description="Rebuild report.md and plots/*.png of a run from its results directory alone; each run of a "
        f"session directory is reported. {RUN_NAMES}",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a run's results directory, a session's, or a run id")
    add_session_option(parser)
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
    import sys

    from scaletui.errors import SloError
    from scaletui.results.report import report_run
    from scaletui.results.slo import SloResult
    from scaletui.results.summary import summary_table

    reported = 0
    failed: list[tuple[str, SloResult]] = []
    for run_dir in named_runs(args):
        path, summary = report_run(run_dir, plots=not args.no_plots)
        reported += 1
        print(f"{path}\n\n{summary_table(summary)}\n")
        if args.check_slo and summary.slo is not None and not summary.slo.passed:
            failed.append((run_dir.name, summary.slo))
    if reported == 1 and failed:
        error = failed[0][1].error()
        assert error is not None
        raise error
    if failed:  # of a session's runs, each that failed by name: "the run" named none of them
        for name, slo in failed:
            print(f"{name}: SLO {slo.verdict}", file=sys.stderr)
        raise SloError(
            f"{len(failed)} of {reported} runs broke their SLO or were not judged (listed above).",
            "Each one's report.md says when.",
        )
    return 0
