"""A Grid5000 reservation that failed before its job was made holds nothing: `extend` refuses at once, and
`destroy` or the Reservations pane's `x` drop it from the session, without a request to the testbed (the fake
Grid5000 API on 127.0.0.1, tests/fakes/g5k.py, counts them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.config.models import AppConfig, Paths
from scaletui.engine import Engine
from scaletui.session.store import SessionStore
from tests.fakes.g5k import FakeGrid5000
from tests.platforms.test_g5k_setup_failure import app_config, conf_dir

TOO_OLD = 'reservation = "2020-01-01 19:00:00"'


def reservations(tmp_path: Path) -> list[tuple[str, str, str]]:
    session = SessionStore.open(tmp_path / "sessions" / "s").session
    return [(r.platform, r.state, r.job_id) for r in session.reservations]


def test_extend_and_destroy_of_a_job_less_reservation_do_not_call_the_testbed(
    tmp_path: Path, g5k_api: FakeGrid5000, capsys: pytest.CaptureFixture[str]
) -> None:
    conf_dir(tmp_path, extra=TOO_OLD)
    cli = ["--config", str(app_config(tmp_path)), "--session", "s"]
    assert main([*cli, "provision", "g5k", "--no-setup"]) == 3
    assert reservations(tmp_path) == [("g5k", "failed", "")] and g5k_api.jobs == {}
    asked = len(g5k_api.requests)
    capsys.readouterr()

    assert main([*cli, "extend", "g5k", "1h"]) == 3
    assert "g5k has no job (its reservation failed)." in capsys.readouterr().err
    assert main([*cli, "destroy", "g5k", "--yes"]) == 0
    assert "g5k: released (dropped from the session; nothing to release on Grid5000" in capsys.readouterr().out
    assert reservations(tmp_path) == []
    assert len(g5k_api.requests) == asked, [r.path for r in g5k_api.requests[asked:]]


def test_destroy_with_no_name_drops_job_less_reservations(
    tmp_path: Path, g5k_api: FakeGrid5000, capsys: pytest.CaptureFixture[str]
) -> None:
    conf_dir(tmp_path, extra=TOO_OLD)
    cli = ["--config", str(app_config(tmp_path)), "--session", "s"]
    assert main([*cli, "provision", "g5k", "--no-setup"]) == 3
    asked = len(g5k_api.requests)
    assert main([*cli, "destroy", "--yes"]) == 0
    assert reservations(tmp_path) == [] and len(g5k_api.requests) == asked


async def test_x_in_the_reservations_pane_drops_a_job_less_reservation(tmp_path: Path, g5k_api: FakeGrid5000) -> None:
    from scaletui.tui.app import ScaletuiApp
    from scaletui.tui.screens.confirm import ConfirmScreen
    from tests.tui.pilot import message, wait_for

    conf_dir(tmp_path, extra=TOO_OLD)
    engine = Engine(AppConfig(paths=Paths(sessions=str(tmp_path / "sessions"), conf=str(tmp_path / "conf"))), "s")
    try:
        with pytest.raises(Exception, match="Reservation too old"):
            engine.testbed.reserve("g5k")
        asked = len(g5k_api.requests)
        app = ScaletuiApp(engine)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("1", "x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation", 20)
            await pilot.press("y")
            await wait_for(pilot, lambda: not engine.store.session.reservations, "the reservation dropped", 30)
            await wait_for(pilot, lambda: "dropped from the session" in message(app), "the drop said", 30)
    finally:
        engine.close()
    assert len(g5k_api.requests) == asked


def test_destroy_help_says_which_failed_reservations_it_drops(capsys: pytest.CaptureFixture[str]) -> None:
    """Any reservation that failed before its testbed was asked anything, and a Grid5000 one before its job was made
    (review 38 F2: the help promised the drop for every failed reservation)."""
    with pytest.raises(SystemExit):
        main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert (
        "a reservation that failed before anything was asked of its testbed (on Grid5000: before its job was made)"
        in said
    )


def test_a_reservation_whose_provider_cannot_be_loaded_is_dropped_by_destroy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """User review 38 F2: a Chameleon reservation that failed because EnosLib's Chameleon provider cannot be loaded
    (python-blazarclient missing) stayed in the session for good: `x` and `destroy --yes` asked the same provider to
    release it and failed the same way. Nothing was asked of Chameleon, so it is dropped. The import fails here as
    it does where blazarclient is not installed, whether or not it is on this machine."""
    from scaletui.platforms import enos_conf

    real = enos_conf.enoslib_module

    def without_blazarclient(name: str):  # type: ignore[no-untyped-def]
        if "chameleon" in name:
            raise ImportError("No module named 'blazarclient'", name="blazarclient")
        return real(name)

    monkeypatch.setattr(enos_conf, "enoslib_module", without_blazarclient)
    conf = tmp_path / "conf"
    (conf / "platforms").mkdir(parents=True)
    shutil.copy(Path(__file__).parents[2] / "conf" / "platforms" / "chameleon.toml", conf / "platforms")
    config = tmp_path / "scaletui.toml"
    config.write_text(f'[paths]\nsessions = "{tmp_path / "sessions"}"\nconf = "{conf}"\n')
    cli = ["--config", str(config), "--session", "s"]
    assert main([*cli, "provision", "chameleon", "--no-setup"]) == 3
    assert "Chameleon provider cannot be loaded" in capsys.readouterr().out
    assert reservations(tmp_path) == [("chameleon", "failed", "")]
    assert main([*cli, "destroy", "chameleon", "--yes"]) == 0
    said = capsys.readouterr().out
    assert "dropped from the session; nothing to release on Chameleon: its reservation failed before anything" in said
    assert reservations(tmp_path) == []
