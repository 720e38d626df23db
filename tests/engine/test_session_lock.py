"""One scaletui per session: a second one opening it is refused in one sentence naming the first, which it leaves alone
(a --script run beside the app took the app's Flink for a crash's leftovers, stopped it, and both rewrote
session.toml). A crashed owner does not block: the OS drops its lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.errors import UserError
from scaletui.session.lock import SessionBusy

ROOT = Path(__file__).parents[2]
HOLD = """
import sys
from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
engine = Engine(load_app_config(None), None, owner="--script held.toml")
print("open", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sessions under SCALETUI_HOME, the project's conf/, and results in the working directory: all in tmp_path."""
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path))
    (tmp_path / "conf").symlink_to(ROOT / "conf")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def holder(home: Path) -> subprocess.Popen[str]:
    """Another scaletui process with session default open; returns once it has it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        cwd=home,
        env={**os.environ, "SCALETUI_HOME": str(home)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "open\n", "the holder never opened the session"
    return proc


def test_a_second_engine_is_refused_until_the_first_closes(home: Path) -> None:
    config = load_app_config(None)
    first = Engine(config, None, owner="--script conf/experiments/local-constant.toml")
    try:
        with pytest.raises(SessionBusy) as refused:
            Engine(config, None)
        assert refused.value.message == (
            f"Session default is open in another scaletui (pid {os.getpid()}, "
            "--script conf/experiments/local-constant.toml)."
        )
        assert "--session NAME" in refused.value.hint and refused.value.exit_code == 3
        assert isinstance(refused.value, UserError)
        with Engine(config, "beside") as beside:  # another session opens beside it
            assert beside.name == "beside"
    finally:
        first.close()
    with Engine(config, None) as second:
        assert second.name == "default"


def test_a_killed_owner_does_not_block_the_next(home: Path) -> None:
    proc = holder(home)
    try:
        with pytest.raises(SessionBusy, match=rf"\(pid {proc.pid}, --script held.toml\)"):
            Engine(load_app_config(None), None)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with Engine(load_app_config(None), None) as engine:
        assert engine.name == "default"


def test_script_beside_an_open_session_exits_3_and_touches_nothing(home: Path) -> None:
    with Engine(load_app_config(None), None) as app:
        app.live.start("simulator")
        out = subprocess.run(
            [sys.executable, "-m", "scaletui", "--script", "conf/experiments/sim-timeline.toml"],
            cwd=home,
            env={**os.environ, "SCALETUI_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 3, out.stdout + out.stderr
        assert f"scaletui: Session default is open in another scaletui (pid {os.getpid()}, the app)." in out.stderr
        assert "--session NAME" in out.stderr and "Stopped" not in out.stdout + out.stderr
        runs = tomllib.loads((app.session_dir / "session.toml").read_text()).get("runs", [])
        assert all(r["experiment"] == "live" and r["status"] == "running" for r in runs), (
            f"it wrote the session: {runs}"
        )
        assert app.ctx.runs.active is not None, "the app's cluster was stopped"
        assert not list(home.glob("results/*/*sim-timeline*")), "the refused run left results"
        app.live.stop()


async def test_the_app_says_who_has_the_session_and_quits(home: Path) -> None:
    """The app opens the engine after its first frame: a busy session ends it with the sentence, no traceback."""
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.boot import Boot
    from tests.tui.pilot import wait_for

    with Engine(load_app_config(None), None, owner="scalability conf/experiments/sim-demand.toml"):
        app = ScaletuiApp(boot=Boot.read(None, None))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.open_error is not None, "the refusal after the first frame", 60)
    assert app.return_code == 3 and isinstance(app.open_error, SessionBusy)
    assert app.open_error.message == (
        f"Session default is open in another scaletui (pid {os.getpid()}, "
        "scalability conf/experiments/sim-demand.toml)."
    )


def test_replay_runs_beside_an_open_session(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay reads only its run directory: it is not refused, and opens a scratch session, not the busy one."""
    import threading

    import scaletui.tui.app
    from scaletui.cli import main
    from scaletui.engine.experiment import ExperimentRun
    from scaletui.engine.prepare import prepare_experiment

    shown: list[Path] = []

    class App:
        def __init__(self, engine: Engine, replay: Path) -> None:
            shown.append(engine.session_dir)

        def run(self) -> int:
            return 0

    monkeypatch.setattr(scaletui.tui.app, "ScaletuiApp", App)
    with Engine(load_app_config(None), None) as app:
        prepared = prepare_experiment(ROOT / "conf" / "experiments" / "sim-timeline.toml", app.conf_dir)
        result = ExperimentRun(app.ctx, prepared).execute(threading.Event())
        assert result.results_dir is not None, result.message
        assert main(["replay", str(result.results_dir)]) == 0
        assert shown and shown[0] != app.session_dir
    assert main(["replay", str(result.results_dir)]) == 0, "a free session is opened as before"
    assert shown[1] == app.session_dir
