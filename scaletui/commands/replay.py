"""`scaletui replay RUN`: play a recorded run back through the app's panes (pause, speed, seek)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.commands.run_names import add_session_option

if TYPE_CHECKING:
    from scaletui.config.models import AppConfig
    from scaletui.engine import Engine


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "replay",
        help="play a recorded run back through the Plots, Pods and Chaos panes",
        description="Play a run's results directory back through the same panes as a live session: space pauses, "
        "+ and - change the speed (1x to 60x), ] and } jump to the next decision or fault, g goes to a time, "
        "Esc quits. Any run replays: an experiment run with --script, or a live session of the app. RUN is a "
        "run's results directory (results/<session>/<run-id>) or its id as the run history (R) shows it, full or "
        "short (072811Z), looked up in the session's history (--session).",
    )
    parser.add_argument("run_dir", metavar="RUN", help="a run's results directory, or its id (full or short)")
    add_session_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.config.loader import load_app_config
    from scaletui.engine.replay import ReplayPlayer
    from scaletui.results.locate import resolve_runs

    (run_dir,) = resolve_runs([args.run_dir], args.config, args.session)
    ReplayPlayer(run_dir)  # a directory with nothing to replay fails here, in one sentence, before the app opens
    config = load_app_config(args.config)
    with _engine(config, args.session, run_dir) as engine:
        return _replay(engine, run_dir)


@contextmanager
def _engine(config: AppConfig, session: str | None, run_dir: Path) -> Iterator[Engine]:
    """The session the app replays in. A replay reads only its run directory: with the session open in another
    scaletui it runs on a scratch session rather than be refused (or touch the live one's session.toml), and so it
    does when no --session is given and the default session does not exist yet. A --session that names no session
    (a typo) is refused with the sessions there are, as the other verbs refuse it, instead of being made."""
    from scaletui.engine import Engine
    from scaletui.session.lock import SessionBusy
    from scaletui.session.store import UnknownSession

    try:
        engine = Engine(config, session, owner=f"replay {run_dir}", existing=True)
    except (SessionBusy, UnknownSession) as e:
        if isinstance(e, UnknownSession) and session is not None:
            raise
        with tempfile.TemporaryDirectory(prefix="scaletui-replay-") as scratch:
            paths = config.paths.model_copy(update={"sessions": scratch})
            with Engine(config.model_copy(update={"paths": paths}), session, owner="replay") as engine:
                yield engine
        return
    with engine:
        yield engine


def _replay(engine: Engine, run_dir: Path) -> int:
    from scaletui.tui.app import ScaletuiApp

    return int(ScaletuiApp(engine, replay=run_dir).run() or 0)
