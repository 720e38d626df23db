"""Reservations that never leak, on the Grid5000 fake (tests/fakes/g5k.py, the REST API on 127.0.0.1) through
EnosLib's real code, with SSH failing after the reservation for real: EnosLib grants root access by running
`sudo-g5k` over SSH with Ansible, and here every SSH connection runs `ProxyCommand=false` (ANSIBLE_SSH_ARGS, which
ssh applies before EnosLib's own jump host), so the nodes are unreachable as when a key is missing, without any
network. Also: a reservation refused as too old says why; `destroy` releases a job kept in any state; the walltime
is extended by the verb and by the Reservations pane's key.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.config.loader import load_platform
from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from scaletui.engine.reservations import ReservationFlow
from scaletui.errors import PlatformError
from scaletui.events import ErrorEvent
from scaletui.platforms.enos import EnosPlatform
from scaletui.session.store import SessionStore
from tests.fakes.g5k import FakeGrid5000
from tests.recording import reservation_flow

ROOT = Path(__file__).parents[2]
PLATFORM = """
[platform]
name = "{name}"
type = "Grid5000"

[roles]
control = 1
workers = 2

[settings]
site = "rennes"
cluster = "paravance"
walltime = "1h"
{extra}
"""


def conf_dir(tmp_path: Path, name: str = "g5k", extra: str = "") -> Path:
    conf = tmp_path / "conf"
    (conf / "platforms").mkdir(parents=True, exist_ok=True)
    (conf / "platforms" / f"{name}.toml").write_text(PLATFORM.format(name=name, extra=extra))
    return conf


def flow_for(tmp_path: Path, name: str = "g5k", extra: str = "") -> ReservationFlow:
    conf = conf_dir(tmp_path, name, extra)
    flow = reservation_flow(SessionStore.open(tmp_path / "session"), conf)
    path = conf / "platforms" / f"{name}.toml"
    flow.add(EnosPlatform(load_platform(path), str(path), poll_s=0.05))
    return flow


@pytest.fixture
def ssh_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_SSH_ARGS", "-o ProxyCommand=false")


def app_config(tmp_path: Path) -> Path:
    config = tmp_path / "scaletui.toml"
    config.write_text(
        f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n'
        f'conf = "{tmp_path / "conf"}"\ncache = "{tmp_path / "cache"}"\n'
    )
    return config


def test_ssh_failing_after_the_reservation_releases_the_job_in_one_sentence(
    tmp_path: Path, g5k_api: FakeGrid5000, ssh_fails: None, caplog: pytest.LogCaptureFixture
) -> None:
    flow = flow_for(tmp_path)
    errors: list[ErrorEvent] = []
    flow.bus.subscribe(errors.append, ErrorEvent)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR), pytest.raises(PlatformError) as failed:
        flow.reserve("g5k", threading.Event())
    sentence = failed.value.message
    job = next(iter(g5k_api.jobs))
    assert sentence.startswith("Grid5000 could not set up the machines of g5k: SSH to paravance-1.rennes")
    assert "Failed to connect to the host via ssh" in sentence and f"Job {job} was released." in sentence
    assert "\n" not in sentence and "_AnsibleExecutionRecord" not in sentence and len(sentence) < 400
    assert [e.message for e in errors] == [sentence]  # said once
    assert g5k_api.jobs[job]["state"] == "error"  # deleted on the testbed: nothing stays booked
    assert [(r.state, r.job_id) for r in flow.store.session.reservations] == [("released", str(job))]
    assert "EnosUnreachableHostsError" in caplog.text and "_AnsibleExecutionRecord" in caplog.text  # full detail


def test_a_kept_job_is_said_with_its_command_and_destroy_releases_it(
    tmp_path: Path, g5k_api: FakeGrid5000, ssh_fails: None
) -> None:
    """`provision` and `destroy` as a user runs them (subprocesses), the job kept by `on_setup_failure`."""
    import os

    conf_dir(tmp_path, extra='on_setup_failure = "keep"')
    base = [sys.executable, "-m", "scaletui", "--config", str(app_config(tmp_path)), "--session", "s"]
    env = dict(os.environ)
    provision = subprocess.run([*base, "provision", "g5k", "--no-setup"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=240)  # fmt: skip
    out = provision.stdout + provision.stderr
    assert provision.returncode == 3, out
    job = next(iter(g5k_api.jobs))
    assert out.count("SSH to paravance-1") == 1, out
    assert f"Job {job} is kept" in out and "scaletui destroy g5k --yes" in out
    assert g5k_api.jobs[job]["state"] == "running"
    session = (tmp_path / "sessions" / "s" / "session.toml").read_text()
    assert 'state = "failed"' in session and f'job_id = "{job}"' in session
    destroy = subprocess.run([*base, "destroy", "--yes"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)  # fmt: skip
    assert destroy.returncode == 0 and "g5k: released." in destroy.stdout, destroy.stdout + destroy.stderr
    assert g5k_api.jobs[job]["state"] == "error"
    again = subprocess.run([*base, "destroy", "--yes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "No reservation to release and no cluster left running." in again.stdout


def test_a_reservation_refused_as_too_old_says_why(tmp_path: Path, g5k_api: FakeGrid5000) -> None:
    flow = flow_for(tmp_path, "g5kold", 'reservation = "2020-01-01 19:00:00"')
    with pytest.raises(PlatformError) as refused:
        flow.reserve("g5kold", threading.Event())
    message = refused.value.message
    assert message.startswith("Grid5000 refused the reservation of g5kold: ") and "Reservation too old" in message
    assert not message.endswith(": .") and g5k_api.jobs == {}


def test_walltime_extended_by_the_verb(
    tmp_path: Path, g5k_api: FakeGrid5000, granted: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    conf_dir(tmp_path)
    config = app_config(tmp_path)
    with Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s") as e:
        e.testbed.reserve("g5k")
    job = next(iter(g5k_api.jobs.values()))
    assert main(["--config", str(config), "--session", "s", "extend", "g5k", "30m"]) == 0
    assert job["walltime"] == 5400 and "g5k: walltime 1h30m" in capsys.readouterr().out
    assert main(["--config", str(config), "--session", "s", "extend", "g5k", "soon"]) == 2  # bad input
    assert "'soon' is not an amount of time." in capsys.readouterr().err


@pytest.fixture
def granted(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Root access granted without SSH (there are no nodes here), as in test_g5k_flow.py."""
    from enoslib.infra.enos_g5k.provider import G5kBase

    calls: list[list[str]] = []
    monkeypatch.setattr(G5kBase, "grant_root_access", lambda self: calls.append([h.fqdn for h in self.sshable_hosts]))
    return calls


async def test_walltime_extended_from_the_reservations_pane(
    tmp_path: Path, g5k_api: FakeGrid5000, granted: list[list[str]]
) -> None:
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.screens.form import FormScreen
    from tests.tui.pilot import wait_for

    conf_dir(tmp_path)
    engine = Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s")
    try:
        engine.testbed.reserve("g5k")
        app = ScaletuiApp(engine)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("1", "e")
            await wait_for(pilot, lambda: isinstance(app.screen, FormScreen), "the extend dialog", 20)
            app.screen.query_one("#field-by").value = "45m"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: engine.store.session.reservations[0].walltime_s == 3600 + 2700, "walltime")
    finally:
        engine.close()
    change = [r for r in g5k_api.requests if r.path.endswith("/walltime")]
    assert [r.body for r in change] == [{"walltime": "+00:45"}]
