"""The `scaletui` command: the TUI by default, `--script FILE` headless, and Scalehub-style verbs.

Each verb lives in `scaletui.commands.<verb>` with `add_parser(subparsers)`; nothing heavy is imported before the
verb the user asked for runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Sequence

from scaletui import __version__
from scaletui.errors import EXIT_CODES, UserError

VERB_MODULES: tuple[str, ...] = (
    "testbed",
    "doctor",
    "import_scalehub",
    "report",
    "compare",
    "sync",
    "export",
    "plot",
    "replay",
    "scalability",
)


def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="scaletui",
        description="Elastic stream-processing experiments from one terminal app.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scaletui {__version__}")
    parser.add_argument("--config", help="app settings file (default: conf/scaletui.toml)")
    parser.add_argument("--session", help="session name (default: from conf/scaletui.toml, 'default')")
    parser.add_argument("--script", metavar="FILE", help="run this experiment file headless, without the TUI")
    parser.add_argument(
        "--out", dest="script_out", metavar="DIR", help="with --script: results root (default: results/)"
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in VERB_MODULES:
        module = importlib.import_module(f"scaletui.commands.{name}")
        module.add_parser(sub)
    return parser


def run_tui(args: argparse.Namespace) -> int:
    from scaletui.tui.launch import run_app

    return run_app(args.config, args.session)


def run_script(args: argparse.Namespace) -> int:
    from scaletui.headless.runner import run_experiment_file

    return run_experiment_file(args.script, config_file=args.config, session=args.session, out=args.script_out)


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments as given, or exit 2 with the usage of the part that refused them: an unknown option after a verb
    gets the verb's usage; options that would be ignored (`--script` with a verb, `--out` without `--script`)
    are refused rather than dropped."""
    given = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(given)
    verbs = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
    after_verb = given[given.index(args.verb) + 1 :] if args.verb in given else []
    refusing = verbs.get(args.verb, parser) if extra and all(x in after_verb for x in extra) else parser
    if extra:
        refusing.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.verb and args.script:
        parser.error(f"--script runs an experiment file without the TUI; it does not go with the {args.verb} verb")
    if args.script_out and not args.script:
        parser.error("--out before a verb is the results root of --script (a verb's own --out goes after it)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `scaletui report RUN | head`: the reader left; stop quietly, as a tool killed by SIGPIPE would, and point
        # stdout at /dev/null so Python's own flush at exit does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    args = parse(build_parser(), argv)
    try:
        if args.verb:
            if args.config:  # refused even by a verb that reads no settings: a typo there must not go unnoticed
                from scaletui.config.loader import load_app_config

                load_app_config(args.config)
            return int(args.func(args))
        if args.script:
            return run_script(args)
        return run_tui(args)
    except UserError as e:
        print(f"scaletui: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"  {e.hint}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
