"""The run arguments of the verbs that read results (report, replay, export, plot, compare): directories or run ids,
and the session whose run history the ids are looked up in."""

from __future__ import annotations

import argparse
from pathlib import Path

RUN_NAMES = (
    "Each DIR is a run's results directory (results/<session>/<run-id>), a session's directory of runs, or a run id "
    "as the run history (R) shows it, full or short (072811Z), looked up in the session's history (--session)."
)


def add_session_option(parser: argparse.ArgumentParser) -> None:
    """`--session` after the verb too (`scaletui report --session rv34 072811Z`); before it, as for any verb, works
    the same. SUPPRESS leaves the one before the verb in place when this one is not given."""
    parser.add_argument(
        "--session",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="the session whose run history resolves run ids (default: the app's session, 'default')",
    )


def named_runs(args: argparse.Namespace) -> list[Path]:
    """The run directories `args.dirs` stand for, in the order given."""
    from scaletui.results.locate import runs_named

    return runs_named(args.dirs, getattr(args, "config", None), getattr(args, "session", None))
