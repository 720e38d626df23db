"""`scaletui export DIR`: one archive of a run, or a Parquet set for notebooks (Scalehub's `shub export`)."""

from __future__ import annotations

import argparse

from scaletui.commands.run_names import RUN_NAMES, add_session_option, named_runs


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="export a run as one .tar.gz, or as Parquet tables for notebooks",
        description="Export a run's results: --format archive (default) writes <run-id>.tar.gz; --format "
        "parquet writes a directory of typed tables (metrics, nodes, latency, decisions, faults, stages, "
        f"actuations) with the run's metadata, ready for pandas.read_parquet. {RUN_NAMES}",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a run's results directory, a session's, or a run id")
    parser.add_argument("--format", choices=("archive", "parquet"), default="archive", help="what to write")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="a directory (created) that receives <run-id>.tar.gz, or <run-id>/ with --format parquet, for each "
        "run, one or many; a path ending .tar.gz names the archive of a single run (default: beside each run "
        "directory)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an export of the same run already there (without it, one there is refused, exit 2)",
    )
    add_session_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.results.export import export_runs

    for path in export_runs(named_runs(args), args.format, args.out, force=args.force):
        print(path)
    return 0
