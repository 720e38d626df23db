"""`scaletui export DIR`: one archive of a run, or a Parquet set for notebooks (Scalehub's `shub export`)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "export",
        help="export a run as one .tar.gz, or as Parquet tables for notebooks",
        description="Export a run's results: --format archive (default) writes <run-id>.tar.gz; --format "
        "parquet writes a directory of typed tables (metrics, nodes, latency, decisions, faults, stages, "
        "actuations) with the run's metadata, ready for pandas.read_parquet. DIR may be a session directory.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="a run's results directory, or a session's")
    parser.add_argument("--format", choices=("archive", "parquet"), default="archive", help="what to write")
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="a directory (created) that receives <run-id>.tar.gz, or <run-id>/ with --format parquet, for each "
        "run, one or many; a path ending .tar.gz names the archive of a single run (default: beside each run "
        "directory)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.results.export import export_runs
    from scaletui.results.layout import runs_under

    for path in export_runs(runs_under(args.dirs), args.format, args.out):
        print(path)
    return 0
