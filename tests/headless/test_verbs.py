"""Scalehub's verbs exist with --help, and provision / deploy / destroy run for real on the local platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scaletui.cli import build_parser, main

ROOT = Path(__file__).parents[2]
SHUB_VERBS = ["provision", "destroy", "deploy", "delete", "reload", "experiment", "tokens", "sync", "export", "plot"]


@pytest.mark.parametrize("verb", SHUB_VERBS + ["report", "compare", "doctor", "import-scalehub"])
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([verb, "--help"])
    assert done.value.code == 0
    assert "usage: scaletui" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "usage", "said"),
    [
        (["report", "/tmp", "--bogus"], "usage: scaletui report", "unrecognized arguments: --bogus"),
        (["--bogus", "report", "/tmp"], "usage: scaletui [-h]", "unrecognized arguments: --bogus"),
        (["--script", "x.toml", "doctor"], "usage: scaletui [-h]", "it does not go with the doctor verb"),
        (["--out", "/tmp/x"], "usage: scaletui [-h]", "--out before a verb is the results root of --script"),
    ],
)
def test_options_that_would_be_ignored_are_refused_with_the_right_usage(
    argv: list[str], usage: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.startswith(usage) and said in err


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCALETUI_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "scaletui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
    )


def test_provision_deploy_destroy_local(tmp_path: Path) -> None:
    out = run(tmp_path, "provision", "local")
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr
    assert "local: running" in out.stdout and "Stage infrastructure: done" in out.stdout
    out = run(tmp_path, "deploy", "local")
    assert out.returncode == 0, out.stdout[-1500:] + out.stderr
    assert "Stage local: done" in out.stdout
    out = run(tmp_path, "destroy")
    assert out.returncode == 2 and "--yes" in out.stderr
    out = run(tmp_path, "destroy", "--yes")
    assert out.returncode == 0 and "local: released" in out.stdout
    session = (tmp_path / "sessions" / "default" / "session.toml").read_text()
    assert 'state = "released"' in session
