"""`scaletui replay RUN_DIR`: play a recorded run back through the app's panes (pause, speed, seek)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "replay",
        help="play a recorded run back through the Plots, Pods and Chaos panes",
        description="Play a run's results directory back through the same panes as a live session: space pauses, "
        "+ and - change the speed (1x to 60x), ] and } jump to the next decision or fault, g goes to a time, "
        "Esc quits. Any run replays: an experiment run with --script, or a live session of the app.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run's results directory: results/<session>/<run-id>")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.engine.replay import ReplayPlayer

    run_dir = Path(args.run_dir)
    ReplayPlayer(run_dir)  # a directory with nothing to replay fails here, in one sentence, before the app opens
    with Engine(load_app_config(args.config), args.session) as engine:
        from scaletui.tui.app import ScaletuiApp

        return int(ScaletuiApp(engine, replay=run_dir).run() or 0)
