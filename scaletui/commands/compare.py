"""`scaletui compare DIR...`: runs side by side, one table and overlay plots."""

from __future__ import annotations

import argparse

from scaletui.commands.run_names import RUN_NAMES, add_session_option, named_runs


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare",
        help="put runs side by side: one table and overlay plots",
        description="Put two or more runs side by side (e.g. the same experiment with different strategies or "
        "faults): prints one markdown table and writes compare.md with overlay PNGs. A session directory "
        f"stands for all its runs. {RUN_NAMES}",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="runs' results directories, sessions', or run ids")
    add_session_option(parser)
    parser.add_argument(
        "--out", metavar="DIR", help="where compare.md and the PNGs go (default: compare-<time>/ beside the first run)"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.results.compare import compare_runs

    runs = named_runs(args)
    comparison = compare_runs(list(runs), args.out)
    print(comparison.table)
    print()
    for note in comparison.notes:
        print(note)
    print(comparison.markdown)
    return 0
