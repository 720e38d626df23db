"""Review 34 F4: the verbs that read results take a run id, full or short, resolved through the session's history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scaletui.cli import main
from scaletui.engine import Engine
from scaletui.results.layout import distinct_short_ids
from scaletui.session.model import RunRecord, Session
from scaletui.session.store import dumps
from tests.results.conftest import RecordRun


def write_session(home: Path, name: str, runs: list[RunRecord]) -> None:
    directory = home / "sessions" / name
    directory.mkdir(parents=True)
    (directory / "session.toml").write_text(dumps(Session(name=name, runs=runs)))


def record(run_dir: Path, experiment: str, started_at: float = 0.0) -> RunRecord:
    return RunRecord(id=run_dir.name, experiment=experiment, started_at=started_at, results_dir=str(run_dir))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCALETUI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SCALETUI_SESSION", raising=False)
    monkeypatch.chdir(tmp_path)  # a bare id must not be taken for a directory of the repository
    return tmp_path / "home"


def test_every_verb_resolves_a_full_or_short_id_through_the_session(
    make_run: RecordRun, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "out" / "rv34"  # where --out put them, not results/rv34
    runs.mkdir(parents=True)
    a = Path(shutil.move(make_run("transscale"), runs / "20261207T072811Z-step-delay-transscale"))
    b = Path(shutil.move(make_run("ds2"), runs / "20261207T080000Z-step-delay-ds2"))
    write_session(home, "rv34", [record(a, "step-delay-transscale"), record(b, "step-delay-ds2")])
    short_a = "072811Z"  # as R shows it
    assert main(["--session", "rv34", "report", "--no-plots", a.name]) == 0
    assert (a / "report.md").is_file()
    assert main(["report", "--session", "rv34", "--no-plots", short_a]) == 0  # --session after the verb as well
    assert capsys.readouterr().out.startswith(str(a / "report.md"))
    assert main(["--session", "rv34", "export", short_a, "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / f"{a.name}.tar.gz").is_file()
    assert main(["--session", "rv34", "plot", b.name, "--out", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "throughput.png").is_file()
    assert main(["--session", "rv34", "compare", short_a, str(b), "--out", str(tmp_path / "c")]) == 0
    assert f"`{a}`" in (tmp_path / "c" / "compare.md").read_text()


def test_replay_resolves_the_id_before_opening_the_app(
    make_run: RecordRun, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The id reaches the replay player as the run's directory: a run without records is refused by it, by path."""
    a = make_run("transscale")
    empty = a.parent / "20261207T010203Z-nothing"
    empty.mkdir()
    (empty / "run.json").write_text(json.dumps({"run_id": empty.name, "status": "failed"}))
    for name in ("metrics.csv", "decisions.jsonl", "state.jsonl"):
        (empty / name).unlink(missing_ok=True)
    write_session(home, "rv34", [record(empty, "nothing")])
    assert main(["--session", "rv34", "replay", "010203Z"]) == 2
    err = capsys.readouterr().err
    assert str(empty) in err and "No run with id" not in err, err


def test_replay_refuses_a_session_that_does_not_exist_and_makes_none(
    make_run: RecordRun, home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review 37 G1: `replay RUN_DIR --session <typo>` made the session it was given, where the verbs that act on a
    session refuse it naming those there are. With no --session and no default session yet, it replays on a
    scratch session and makes none."""
    import scaletui.tui.app

    replayed_in: list[Path] = []

    class App:  # which session the app would replay in is what is tested, not the app
        def __init__(self, engine: Engine, replay: Path) -> None:
            replayed_in.append(engine.session_dir)

        def run(self) -> int:
            return 0

    monkeypatch.setattr(scaletui.tui.app, "ScaletuiApp", App)
    a = make_run("transscale")
    write_session(home, "rv34", [record(a, "transscale")])
    assert main(["replay", str(a), "--session", "rv43"]) == 2
    err = capsys.readouterr().err
    assert f"No session named rv43 in {home / 'sessions'}; its sessions: rv34." in err, err
    assert "--session NAME" in err and not replayed_in
    assert not (home / "sessions" / "rv43").exists()
    assert main(["replay", str(a)]) == 0
    assert replayed_in[0].name == "default" and replayed_in[0].parent != home / "sessions"
    assert not (home / "sessions" / "default").exists()
    assert main(["--session", "rv34", "replay", str(a)]) == 0
    assert replayed_in[1] == home / "sessions" / "rv34"


def test_an_unknown_or_ambiguous_id_says_what_the_session_holds(
    make_run: RecordRun, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run("transscale")
    twin = a.parent / "20251207T072811Z-x"
    shutil.copytree(a, twin)
    one = a.parent / "20261207T072811Z-x"
    shutil.copytree(a, one)
    write_session(home, "rv34", [record(twin, "x", 1.0), record(one, "x", 2.0)])
    assert main(["--session", "rv34", "report", "--no-plots", "072811Z"]) == 2
    err = capsys.readouterr().err
    assert f"072811Z is the short id of 2 runs in session rv34: {twin.name} (x); {one.name} (x)." in err, err
    assert "Give the full run id" in err
    for verb in ("report", "replay", "export", "plot"):
        assert main(["--session", "rv34", verb, "000000Z"]) == 2
        err = capsys.readouterr().err
        assert f"No run with id 000000Z in session rv34; its runs are under {a.parent}." in err, (verb, err)
    assert main(["--session", "rv34", "compare", one.name, "000000Z"]) == 2
    assert "No run with id 000000Z" in capsys.readouterr().err
    assert main(["--session", "nosuch", "report", "000000Z"]) == 2
    err = capsys.readouterr().err
    assert "000000Z is no directory, nor a run of session nosuch: there is no" in err, err
    assert f"there is no session nosuch in {home / 'sessions'}; its sessions: rv34." in err, err
    assert "--session NAME" in err


def test_runs_of_one_second_are_told_apart_as_the_run_history_shows_them(
    make_run: RecordRun, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 C4: two scalability trials started in the same second both read `151509Z` in R, which the verbs
    refuse as ambiguous. R shows `151509Z-p1` and `151509Z-p2`, and the verbs take them."""
    a = make_run("transscale")
    trials = []
    for p in (1, 2):
        name = f"sim-demand-scalability-600-p{p}"
        trial = a.parent / f"20261207T151509Z-{name}"
        shutil.copytree(a, trial)
        trials.append(record(trial, name, float(p)))
    write_session(home, "rv36", trials)
    assert distinct_short_ids((r.id, r.experiment) for r in trials) == {
        trials[0].id: "151509Z-p1",
        trials[1].id: "151509Z-p2",
    }
    assert main(["--session", "rv36", "report", "--no-plots", "151509Z-p2"]) == 0
    assert capsys.readouterr().out.startswith(str(Path(trials[1].results_dir) / "report.md"))
    assert main(["--session", "rv36", "report", "--no-plots", "151509Z"]) == 2
    err = capsys.readouterr().err
    assert "151509Z is the short id of 2 runs in session rv36: 151509Z-p1 (sim-demand-scalability-600-p1); " in err


@pytest.mark.parametrize(
    ("ids", "shown"),
    [
        (
            ["20261207T151509Z-d-scalability-600-p1", "20261207T151509Z-d-scalability-900-p1"],
            ["151509Z-600-p1", "151509Z-900-p1"],
        ),
        (
            ["20261207T151509Z-d-scalability-600-p1", "20261207T151509Z-d-scalability-600-p2"],
            ["151509Z-p1", "151509Z-p2"],
        ),
        (
            ["20251207T072811Z-x", "20261207T072811Z-x", "20261207T072811Z-x-2"],
            ["20251207T072811Z-x", "20261207T072811Z-x", "072811Z-2"],
        ),
        (["20261207T072811Z-x", "20261207T080000Z-x"], ["072811Z", "080000Z"]),
    ],
)
def test_a_short_id_is_lengthened_only_as_far_as_tells_runs_apart(ids: list[str], shown: list[str]) -> None:
    experiments = [i.split("-", 1)[1].removesuffix("-2") for i in ids]
    assert list(distinct_short_ids(zip(ids, experiments)).values()) == shown
