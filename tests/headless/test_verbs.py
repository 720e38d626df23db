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


@pytest.mark.parametrize(
    ("settings", "argv", "said"),
    [
        (None, ["doctor"], "nonexist.toml: no such file."),
        ("theme = 5\n[paths]\nresults = 7\n", ["report", "/nonexist"], "cfg.toml: key theme expected"),
        ("theme = 5\n", ["--script", "conf/experiments/sim-timeline.toml"], "cfg.toml: key theme expected"),
    ],
)
def test_a_bad_config_file_is_refused_not_replaced_by_the_defaults(
    settings: str | None, argv: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A settings file named by --config that is missing or invalid ends the command with code 2 and the file named;
    it used to be ignored, putting sessions and results in the default places."""
    path = tmp_path / ("cfg.toml" if settings else "nonexist.toml")
    if settings:
        path.write_text(settings)
    assert main(["--session", "cfg-check", "--config", str(path), *argv]) == 2
    assert f"scaletui: {path.parent}/{said}" in capsys.readouterr().err


def test_scaletui_config_naming_a_missing_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from scaletui.config.loader import load_app_config
    from scaletui.errors import ConfigError

    monkeypatch.setenv("SCALETUI_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"gone\.toml: no such file\."):
        load_app_config()


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
    assert out.returncode == 6 and "would release local" in out.stderr and "--yes" in out.stderr
    out = run(tmp_path, "destroy", "--yes")
    assert out.returncode == 0 and "local: released" in out.stdout
    session = (tmp_path / "sessions" / "default" / "session.toml").read_text()
    assert 'state = "released"' in session


def test_destroy_stops_the_local_cluster_a_killed_app_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An app killed with its SSH session left its local Flink running, and `destroy` said "No reservation to
    release." and left it: only the app's `S` could stop it. The leftovers are real processes carrying the session's
    Flink configuration directory, as the engine recognises Flink's (tests/tui/test_app.py does the same for `S`)."""
    import os
    import subprocess

    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.session.model import ProcessRecord

    config = tmp_path / "scaletui.toml"
    config.write_text(f'[paths]\nsessions = "{tmp_path / "sessions"}"\nresults = "{tmp_path / "results"}"\n')
    crashed = Engine(load_app_config(str(config)), "killed")
    env = {**os.environ, "FLINK_CONF_DIR": str(crashed.session_dir / "flink" / "conf")}
    left = [subprocess.Popen(["sleep", "600"], env=env, start_new_session=True) for _ in range(2)]
    try:
        records = [
            ProcessRecord(role=role, name=name, pid=p.pid)
            for (role, name), p in zip([("jobmanager", "jobmanager"), ("taskmanager", "taskmanager-1")], left)
        ]

        def crash(s) -> None:  # type: ignore[no-untyped-def]
            s.cluster.backend, s.cluster.processes = "local", records

        crashed.store.update(crash, durable=True)
        crashed.close()
        cli = ["--config", str(config), "--session", "killed", "destroy"]
        assert main([*cli, "--yes"]) == 0
        said = capsys.readouterr().out
        assert "Stopped the Flink cluster a crashed scaletui left running: jobmanager, taskmanager-1." in said, said
        for proc in left:
            assert proc.wait(timeout=30) is not None
        assert main([*cli, "--yes"]) == 0
        assert "No reservation to release and no cluster left running." in capsys.readouterr().out
    finally:
        for proc in left:
            proc.kill()
