"""`scaletui` with no verb: paint the app at once, open the engine behind it, and close it on the way out.

SIGTERM and SIGHUP (a dropped SSH connection, a closed terminal window) end the app as its quit key does, without
asking: the app exits, then the engine closes as it does after a quit, which stops the live run (faults reverted,
its results and report written, the cluster stopped) and saves the session, the same teardown a `--script` run
cancelled by SIGTERM goes through. After a hangup the terminal is gone, and what is still written to it is lost. A
signal the app was started ignoring (`nohup`) stays ignored.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

from scaletui.tui.boot import Boot

if TYPE_CHECKING:
    from scaletui.tui.app import ScaletuiApp

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
INTERRUPTED = 130
"""The exit code of an app stopped by a signal: interrupted, as a `--script` run stopped by SIGTERM exits."""


def run_app(config_file: str | None = None, session: str | None = None) -> int:
    """The exit code; a settings or session file the engine refuses is raised as its one-sentence error."""
    from scaletui.tui.app import ScaletuiApp

    app = ScaletuiApp(boot=Boot.read(config_file, session))
    stopped_by: list[str] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopped_by:
            stopped_by.append(signal.Signals(signum).name)
            _exit_app(app)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        try:
            app.run()
        finally:
            if stopped_by:
                _say(f"scaletui: {stopped_by[0]} received, stopping cleanly...")
            if app.engine_ready:
                app.engine.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if app.open_error is not None:
        raise app.open_error
    return app.return_code or 0


def _exit_app(app: ScaletuiApp) -> None:
    """Quit the app from a signal handler: it runs on the app's thread, between two steps of its event loop, so the
    exit is scheduled on the loop rather than done in the middle of one. Before the loop runs, the app is told to
    exit at once (it then never takes the terminal); after it, it has exited and the engine is closing."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        app.exit(return_code=INTERRUPTED)
        return
    loop.call_soon_threadsafe(lambda: app.exit(return_code=INTERRUPTED))


def _say(line: str) -> None:
    """A line on the restored terminal; none when it hung up."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass
