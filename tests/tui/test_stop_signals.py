"""SIGTERM and SIGHUP stop the real `scaletui` app as its quit does (review 36 W3).

A SIGTERM used to end the app at once: run.json kept `"status": "running"`, no report was written, the session still
said the simulator ran, and the terminal was left in the app's last frame. A dropped SSH connection (SIGHUP, the
terminal gone) did the same. The app runs in tmux on a session with the simulator reserved; `s` starts its cluster,
then the signal comes (or tmux closes the terminal, as an SSH drop does).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scaletui.results import layout
from tests.tui.test_no_color_tmux import SGR, Tmux

STOPPED_WITHIN_S = 60.0
"""What `prompt` means on this loaded 2-core machine: the live run's teardown writes Parquet, the report and its
plots before the app is gone."""


def until(done: Callable[[], object], failure: Callable[[], str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(failure())
        time.sleep(0.2)


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def app_pid(shell: int) -> int:
    """The app's process, the child of the shell tmux runs the command in."""
    children = Path(f"/proc/{shell}/task/{shell}/children")
    until(lambda: children.read_text().split(), lambda: "the app did not start", 30)
    return int(children.read_text().split()[0])


def recorded_rows(run_dirs: list[Path]) -> int:
    metrics = [d / layout.METRICS_CSV for d in run_dirs]
    return max((len(m.read_text().splitlines()) - 1 for m in metrics if m.is_file()), default=0)


def shown(tmux: Tmux, what: str) -> str:
    """A tmux format of the app's pane: its pid, whether it ended and how, whether it shows the alternate screen."""
    out = subprocess.run(["tmux", "display", "-p", "-t", tmux.name, what], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture
def app_home(tmp_path: Path) -> Iterator[Path]:
    """A settings file whose sessions, cache and results are under tmp, and a session `sig` with the simulator
    reserved, as `1`, `n` leave it."""
    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.session.model import Reservation

    config = tmp_path / "scaletui.toml"
    config.write_text(
        f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n'
        f'cache = "{tmp_path / "cache"}"\n'
    )
    with Engine(load_app_config(str(config)), "sig") as engine:
        reserved = Reservation(platform="simulator", type="simulator", state="running")
        engine.store.update(lambda s: s.reservations.append(reserved), durable=True)
    yield config


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP", "terminal closed"])
def test_a_signal_stops_the_app_as_its_quit_does(app_home: Path, stop: str) -> None:
    repo = Path(__file__).parents[2]
    tmp = app_home.parent
    app = f"{shlex.quote(sys.executable)} -m scaletui --config {shlex.quote(str(app_home))} --session sig"
    exit_code = tmp / "exit-code"
    # The shell writes the app's exit code: tmux's #{pane_dead_status} was at times still empty 10 s after the app
    # had ended (tmux 3.3a saw the terminal close but had not reaped the process).
    command = (f"cd {shlex.quote(str(repo))} && env -u COLUMNS -u LINES TERM=xterm-256color {app}; "
               f"echo $? > {shlex.quote(str(exit_code))}")  # fmt: skip
    tmux = Tmux(f"stop-{stop.replace(' ', '-')}-{os.getpid()}", (80, 24), command)
    try:
        subprocess.run(["tmux", "set-option", "-t", tmux.name, "remain-on-exit", "on"], check=True)
        pid = app_pid(int(shown(tmux, "#{pane_pid}")))
        tmux.wait_for("Press ? for every key", timeout=120)
        tmux.keys("3")
        tmux.wait_for("Cluster stopped.", timeout=60)
        tmux.keys("s")
        runs = tmp / "results" / "sig"
        until(
            lambda: recorded_rows(list(runs.glob("*-live"))) >= 2,
            lambda: "the simulator never recorded:\n" + SGR.sub("", tmux.capture()),
            timeout=120,
        )
        if stop == "terminal closed":
            tmux.close()  # the pty goes: SIGHUP, as when an SSH connection drops
        else:
            os.kill(pid, getattr(signal, stop))
        until(lambda: gone(pid), lambda: f"scaletui still runs {STOPPED_WITHIN_S:.0f}s after {stop}", STOPPED_WITHIN_S)
        if stop == "SIGTERM":
            until(exit_code.is_file, lambda: "the shell did not see the app end", 10)
            until(lambda: shown(tmux, "#{pane_dead}") == "1", lambda: "the shell did not end", 10)
            assert exit_code.read_text().strip() == "130"
            assert shown(tmux, "#{alternate_on}") == "0", "the terminal left the app's screen"
            history = subprocess.run(["tmux", "capture-pane", "-p", "-S", "-", "-t", tmux.name], capture_output=True,
                                     text=True).stdout  # fmt: skip
            assert "scaletui: SIGTERM received, stopping cleanly..." in history, history
            # what the close waits for is said on the restored terminal, not minutes of a blank one (review 37 F2)
            assert "scaletui: stopping the cluster and closing the session..." in history, history
    finally:
        tmux.close()
    (run_dir,) = runs.glob("*-live")
    meta = json.loads((run_dir / layout.RUN_META).read_text())
    assert meta["status"] == "done" and meta["ended_at"] is not None, meta
    assert (run_dir / layout.REPORT).is_file() and (run_dir / "metrics.parquet").is_file()
    session = tomllib.loads((tmp / "sessions" / "sig" / "session.toml").read_text())
    assert session["cluster"]["backend"] == "none" and session["runs"][0]["status"] == "done"
    assert "session sig closed" in (tmp / "sessions" / "sig" / "scaletui.log").read_text()


async def test_a_signal_while_the_session_opens_closes_it_once_open(
    app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 37 G2: a SIGTERM (or the quit key) while the session was still opening ended the app, and the engine
    that finished opening after it was never closed: no 'closed' in its log, its lock held to the process's end.
    The opening is held at its first step (Engine._open) until the app has exited on the signal."""
    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.boot import Boot
    from scaletui.tui.launch import close_engine

    opening, go_on = threading.Event(), threading.Event()
    real_open = Engine._open

    def held_open(engine: Engine, *args: Any) -> None:
        if not opening.is_set():
            opening.set()
            go_on.wait(60)
        real_open(engine, *args)

    monkeypatch.setattr(Engine, "_open", held_open)
    log = app_home.parent / "sessions" / "sig" / "scaletui.log"
    closed_before = log.read_text().count("session sig closed")
    app = ScaletuiApp(boot=Boot.read(str(app_home), "sig"))
    stopped_by = await sigterm_during_the_opening(app, opening)
    assert stopped_by == ["SIGTERM"] and app.return_code == 130 and not app.engine_ready
    go_on.set()
    close_engine(app)
    assert log.read_text().count("session sig closed") == closed_before + 1
    with Engine(load_app_config(str(app_home)), "sig"):
        pass  # its lock was released: not refused as open in another scaletui


def test_a_signal_after_the_users_quit_keeps_its_exit_code(app_home: Path) -> None:
    """Review 37 F6: `q y`, then SIGTERM while the teardown stops the cluster, made the exit code 130 though the
    quit was the user's and the teardown ran to its end. The app has exited here, as after a quit, when the
    signal comes; the handlers stay installed through the teardown so the signal does not kill it midway."""
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.boot import Boot
    from scaletui.tui.launch import stop_signals

    app = ScaletuiApp(boot=Boot.read(str(app_home), "sig"))
    with stop_signals(app) as stopped_by:
        app.exit(return_code=0)
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped_by == [] and app.return_code == 0


async def test_an_opening_that_fails_after_the_app_ended_says_why(
    app_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 38 F6: the app ended on a SIGTERM while the session was still opening, and the opening then failed:
    nobody said why (the app that reports an opening's error had ended). The launcher reports it as the app does."""
    from scaletui.engine import Engine
    from scaletui.errors import ConfigError
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.boot import Boot
    from scaletui.tui.launch import close_engine

    opening, go_on = threading.Event(), threading.Event()

    def failing_open(engine: Engine, *args: Any) -> None:
        opening.set()
        go_on.wait(60)
        raise ConfigError("session.toml: line 3 is damaged.")

    monkeypatch.setattr(Engine, "_open", failing_open)
    app = ScaletuiApp(boot=Boot.read(str(app_home), "sig"))
    stopped_by = await sigterm_during_the_opening(app, opening)
    assert stopped_by == ["SIGTERM"] and app.open_error is None
    go_on.set()
    close_engine(app)
    assert app.open_error is not None and app.open_error.message == "session.toml: line 3 is damaged."


def test_a_gone_terminal_is_written_to_dev_null_and_sigcont_no_longer_resumes_it() -> None:
    """After a hangup the kernel sends SIGCONT as well, on which Textual resumed the gone terminal with a second writer
    thread that died on it; the app's exit then waited for it for good, its run and cluster never stopped (the
    'terminal closed' case above hung so once, 40 minutes, on a loaded machine). A pty whose other end closed stands
    for the gone terminal, a live one for the terminal a `kill -HUP` leaves in place."""
    from scaletui.tui.launch import forget_gone_terminal

    gone_master, gone = os.openpty()
    live_master, live = os.openpty()
    os.close(gone_master)
    before = signal.getsignal(signal.SIGCONT)
    signal.signal(signal.SIGCONT, lambda *_: None)
    try:
        with pytest.raises(OSError):
            os.write(gone, b"frame")
        forget_gone_terminal((gone, live))
        assert signal.getsignal(signal.SIGCONT) == signal.SIG_DFL
        assert os.write(gone, b"frame") == 5, "the gone terminal's output goes to /dev/null"
        assert os.write(live, b"frame") == 5 and os.read(live_master, 5) == b"frame", "the live one is kept"
    finally:
        signal.signal(signal.SIGCONT, before)
        for fd in (gone, live, live_master):
            os.close(fd)


async def sigterm_during_the_opening(app: Any, opening: threading.Event) -> list[str]:
    """Run `app` under the launcher's signal handlers, send SIGTERM once its session starts opening, wait for its
    exit; the names of the signals the handlers took."""
    from scaletui.tui.launch import stop_signals
    from tests.tui.pilot import wait_for

    with stop_signals(app) as stopped_by:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, opening.is_set, "the session to start opening", 60)
            os.kill(os.getpid(), signal.SIGTERM)
            await wait_for(pilot, lambda: not app.is_running, "the app to exit on SIGTERM", 30)
    return stopped_by
