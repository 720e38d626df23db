"""`provision` reserves only what it is told (names, or --all), goes on past a platform that fails, and ends with
what became of each. Static platforms on loopback: hosts with the local connection reserve, one reached over SSH
on port 1 (refused at once) fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.engine import testbed
from scaletui.session.store import SessionStore

ROOT = Path(__file__).parents[2]
STATIC = """
[platform]
name = "{name}"
type = "Static"
[[settings.hosts]]
address = "127.0.0.1"
alias = "{name}-1"
port = 1
extra = {{ ansible_connection = "{connection}" }}
"""


@pytest.fixture
def cli(tmp_path: Path) -> list[str]:
    platforms = tmp_path / "conf" / "platforms"
    platforms.mkdir(parents=True)
    for name in ("local", "simulator"):
        shutil.copy(ROOT / "conf" / "platforms" / f"{name}.toml", platforms)
    for name, connection in (("alpha", "local"), ("bravo", "ssh"), ("charlie", "local")):
        (platforms / f"{name}.toml").write_text(STATIC.format(name=name, connection=connection))
    config = tmp_path / "scaletui.toml"
    config.write_text(
        f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n'
        f'conf = "{tmp_path / "conf"}"\ncache = "{tmp_path / "cache"}"\n'
    )
    return ["--config", str(config), "--session", "p"]


def states(tmp_path: Path) -> dict[str, str]:
    directory = tmp_path / "sessions" / "p"
    if not directory.exists():
        return {}
    return {r.platform: r.state for r in SessionStore.open(directory).session.reservations}


def test_no_name_reserves_nothing(cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli, "provision", "--no-setup"]) == 2
    assert "name the platforms to reserve, or give --all" in capsys.readouterr().err
    assert main([*cli, "provision", "alpha", "--all", "--no-setup"]) == 2
    assert states(tmp_path) == {}


def test_all_goes_on_past_a_failure_and_sums_up(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, "provision", "--all", "--no-setup"]) == 3
    out = capsys.readouterr().out
    assert out.count("SSH to root@127.0.0.1 failed") == 2, out  # said when it fails, then in the summary
    summary = out.split("provision:\n", 1)[1].splitlines()
    assert [line[:29] for line in summary] == [
        "  alpha    reserved",
        "  bravo    reservation failed",
        "  charlie  reserved",
    ]
    assert summary[1].endswith(
        ": SSH to root@127.0.0.1 failed: ssh: connect to host 127.0.0.1 port 1: Connection refused."
    )
    assert states(tmp_path) == {"alpha": "running", "bravo": "failed", "charlie": "running"}


def test_an_interrupted_provision_says_what_was_not_tried(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reserve = testbed.TestbedControl.reserve

    def interrupted_at_charlie(self: testbed.TestbedControl, name: str) -> str:
        if name == "charlie":
            raise KeyboardInterrupt
        return reserve(self, name)

    monkeypatch.setattr(testbed.TestbedControl, "reserve", interrupted_at_charlie)
    assert main([*cli, "provision", "alpha", "charlie", "bravo", "--no-setup"]) == 130
    summary = capsys.readouterr().out.split("provision:\n", 1)[1].splitlines()
    assert summary == ["  alpha    reserved", "  charlie  stopped while being reserved", "  bravo    not tried"]
