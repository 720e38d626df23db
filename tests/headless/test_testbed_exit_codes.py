"""The testbed verbs' exit codes follow the table of `scaletui --help`: bad input is 2, no machines is 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaletui.cli import main

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


def test_deploy_with_nothing_reserved_is_a_platform_error(cli: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*cli, "deploy", "flink"]) == 3
    assert "no machines are reserved in this session yet." in capsys.readouterr().err
