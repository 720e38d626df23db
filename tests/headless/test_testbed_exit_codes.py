"""The testbed verbs' exit codes follow the table of `scaletui --help` and the README: bad input is 2, no machines
is 3, a destroy that could not ask is 6; a verb that acts on a session's state refuses a session that does not exist."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.config.loader import load_app_config
from scaletui.engine import Engine
from scaletui.errors import EXIT_CODES

ROOT = Path(__file__).parents[2]


@pytest.fixture
def cli(tmp_path: Path) -> list[str]:
    config = tmp_path / "scaletui.toml"
    config.write_text(
        f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n'
        f'conf = "{ROOT / "conf"}"\ncache = "{tmp_path / "cache"}"\n'
    )
    return ["--config", str(config), "--session", "codes"]


@pytest.mark.parametrize("amount", ["banana", "0", "1:2:3:4"])
def test_extend_by_something_not_a_duration_is_bad_input(
    cli: list[str], amount: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, "extend", "g5k", amount]) == 2
    assert f"{amount!r}" in capsys.readouterr().err


def open_session(cli: list[str]) -> Engine:
    """The session the verbs name (`codes`), as the app or `provision` would have left it: it exists."""
    return Engine(load_app_config(cli[1]), cli[3])


def test_deploy_with_nothing_reserved_is_a_platform_error(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    open_session(cli).close()
    assert main([*cli, "deploy", "flink"]) == 3
    assert "no machines are reserved in this session yet." in capsys.readouterr().err


def test_destroy_off_a_terminal_without_yes_says_what_it_would_release(
    cli: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 36 M7: it said only "refusing to release without --yes" and exited 2, a malformed file by the table."""
    with open_session(cli) as engine:
        engine.testbed.reserve("simulator")
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: `destroy </dev/null | cat`
    assert main([*cli, "destroy"]) == 6
    err = capsys.readouterr().err
    assert "would release simulator, but there is no terminal to ask: nothing was released." in err, err
    assert "Add --yes" in err
    with open_session(cli) as engine:
        assert engine.testbed.holding() == ["simulator"]
    assert main([*cli, "destroy", "--yes"]) == 0
    assert "simulator: released." in capsys.readouterr().out


@pytest.mark.parametrize(
    "verb", [["destroy", "--yes"], ["extend", "g5k", "1h"], ["tokens"], ["deploy", "flink"], ["reload", "kafka"]]
)
def test_a_verb_on_the_sessions_state_refuses_an_unknown_session_and_leaves_none(
    cli: list[str], verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 M8: `--session <typo> destroy` said "No reservation to release" (rc 0) and made the session."""
    open_session(cli).close()
    typo = [*cli[:3], "codez"]
    assert main([*typo, *verb]) == 2
    err = capsys.readouterr().err
    assert f"No session named codez in {tmp_path / 'sessions'}; its sessions: codes." in err, err
    assert "--session NAME" in err
    assert not (tmp_path / "sessions" / "codez").exists()


def test_destroy_with_no_session_at_all_says_so(
    cli: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli, "destroy", "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"No session named codes in {tmp_path / 'sessions'}; there is no session yet." in err, err
    assert "provision PLATFORM" in err
    assert not (tmp_path / "sessions").exists()
    assert main([*cli, "provision", "simulator", "--no-setup"]) == 0, "provision starts the session"
    assert (tmp_path / "sessions" / "codes" / "session.toml").is_file()


def test_the_readme_lists_every_exit_code() -> None:
    table = (ROOT / "README.md").read_text().split("Exit codes:", 1)[1]
    listed = [int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)]
    assert listed == list(EXIT_CODES)
