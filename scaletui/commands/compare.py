"""`scaletui compare DIR...`: runs side by side, one table and overlay plots."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "compare",
        help="put runs side by side: one table and overlay plots",
        description="Put two or more runs side by side (e.g. the same experiment with different strategies or "
        "faults): prints one markdown table and writes compare.md with overlay PNGs. A session directory "
        "stands for all its runs.",
    )
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="run results directories (or session directories)")
    parser.add_argument(
        "--out", metavar="DIR", help="where compare.md and the PNGs go (default: compare-<time>/ beside the first run)"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.results.compare import compare_runs
    from scaletui.results.layout import runs_under

    runs = runs_under(args.dirs)
    comparison = compare_runs(list(runs), args.out)
    print(comparison.table)
    print()
    for note in comparison.notes:
        print(note)
    print(comparison.markdown)
    return 0
