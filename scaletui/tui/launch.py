"""`scaletui` with no verb: paint the app at once, open the engine behind it, and close it on the way out.

SIGTERM and SIGHUP (a dropped SSH connection, a closed terminal window) end the app as its quit key does, without
asking: the app exits, then the engine closes as it does after a quit, which stops the live run (faults reverted,
its results and report written, the cluster stopped) and saves the session, the same teardown a `--script` run
cancelled by SIGTERM goes through. After a hangup the terminal is gone, and what is still written to it is lost. A
signal the app was started ignoring (`nohup`) stays ignored. One that comes while the session is still opening
closes it once open (`close_engine`), rather than leave it open with nobody to close it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from scaletui.tui.boot import Boot

if TYPE_CHECKING:
    from scaletui.engine.core import Engine
    from scaletui.tui.app import ScaletuiApp

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
INTERRUPTED = 130
"""The exit code of an app stopped by a signal: interrupted, as a `--script` run stopped by SIGTERM exits."""


def run_app(config_file: str | None = None, session: str | None = None) -> int:
    """The exit code; a settings or session file the engine refuses is raised as its one-sentence error."""
    from scaletui.tui.app import ScaletuiApp

    app = ScaletuiApp(boot=Boot.read(config_file, session))
    with stop_signals(app) as stopped_by:
        try:
            app.run()
        finally:
            if stopped_by:
                _say(f"scaletui: {stopped_by[0]} received, stopping cleanly...")
            close_engine(app)
    if app.open_error is not None:
        raise app.open_error
    return app.return_code or 0


@contextmanager
def stop_signals(app: ScaletuiApp) -> Iterator[list[str]]:
    """Within the block, SIGTERM and SIGHUP exit `app` as its quit does; it yields the names of those received."""
    stopped_by: list[str] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        """After the user's own quit (a return code is set) the teardown under way goes on, and the app keeps the
        exit code of that quit: the signal neither cuts it short nor makes it 130 (review 37 F6)."""
        if signum == signal.SIGHUP:
            forget_gone_terminal()
        if not stopped_by and app.return_code is None:
            stopped_by.append(signal.Signals(signum).name)
            _exit_app(app)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield stopped_by
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def forget_gone_terminal(fds: tuple[int, ...] = (1, 2)) -> None:
    """After a hangup. The kernel sends SIGCONT with SIGHUP, on which Textual resumes its terminal: it started a
    second writer thread, which died writing to the gone terminal, and the app's exit then waited on it for good
    (the app, its live run and its cluster never stopped). So SIGCONT is left to its default, and the outputs that
    are a gone terminal (one a `kill -HUP` leaves in place is kept) write to /dev/null from now on."""
    signal.signal(signal.SIGCONT, signal.SIG_DFL)
    gone = []
    for fd in fds:
        try:
            termios.tcgetattr(fd)
        except termios.error:
            gone.append(fd)
    if gone:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in gone:
            os.dup2(devnull, fd)
        os.close(devnull)


def close_engine(app: ScaletuiApp) -> None:
    """Close the engine of an app that exited: the one it ran on, or the one still opening when it ended (a signal
    or the quit key during the opening), once open; at most OPENING_WAIT_S for that (review 37 G2)."""
    from scaletui.tui.opening import OPENING_WAIT_S

    if app.engine_ready:
        _close(app.engine)
        return
    if app.opening is None:
        return
    if not app.opening.done:
        _say("scaletui: the session is still opening; closing it once open...")
    engine = app.opening.engine(OPENING_WAIT_S)
    if engine is not None:
        _close(engine)
    elif not app.opening.done:
        _say(f"scaletui: the session was still opening after {OPENING_WAIT_S:.0f}s; it is left to the next start.")
    elif app.open_error is None:  # it failed after the app ended: reported as when the app saw it (review 38 F6)
        app.open_error = app.opening.error()


def _close(engine: Engine) -> None:
    """Close `engine` with its notices and errors on the restored terminal: stopping a cluster takes seconds to a
    minute (a rescale under way first), and a blank terminal for that long reads as a hang (user review 37 F2)."""
    from scaletui.events import ErrorEvent, Notice
    from scaletui.headless.printer import describe

    if engine.run_active():
        _say("scaletui: stopping the cluster and closing the session...")

    def say(event: Notice | ErrorEvent) -> None:
        line = describe(event)
        if line:
            _say(line)

    said = [engine.bus.subscribe(say, Notice), engine.bus.subscribe(say, ErrorEvent)]
    try:
        engine.close()
    finally:
        for unsubscribe in said:
            unsubscribe()


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
