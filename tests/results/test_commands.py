"""The CLI verbs this area owns: each registers with --help, runs on real directories, and imports little."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from scaletui.errors import ConfigError, SloError
from tests.results.conftest import RecordRun

VERBS = ("report", "compare", "sync", "export", "plot")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="scaletui")
    subparsers = root.add_subparsers(dest="command", required=True)
    for verb in VERBS:
        importlib.import_module(f"scaletui.commands.{verb}").add_parser(subparsers)
    return root


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return int(args.func(args))


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args([verb, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: scaletui {verb}") and len(out.splitlines()) > 4


def test_report_plot_export_compare_from_the_cli(
    make_run: RecordRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = make_run("transscale"), make_run("ds2", slow_factor=2.0)
    assert run("report", str(a)) == 0
    assert (a / "report.md").is_file() and (a / "plots" / "parallelism.png").is_file()
    with pytest.raises(SloError):
        run("report", "--no-plots", "--check-slo", str(b))
    assert run("plot", str(b), "--out", str(tmp_path / "pngs")) == 0
    assert (tmp_path / "pngs" / "throughput.png").is_file()
    assert run("export", str(a), "--out", str(tmp_path / "a.tar.gz")) == 0
    assert tarfile.is_tarfile(tmp_path / "a.tar.gz")
    assert run("export", "--format", "parquet", str(a), "--out", str(tmp_path / "pq")) == 0
    assert (tmp_path / "pq" / a.name / "decisions.parquet").is_file()
    capsys.readouterr()
    assert run("compare", str(a), str(b), "--out", str(tmp_path / "cmp")) == 0
    out = capsys.readouterr().out
    assert (
        "| metric | A: step-delay-transscale (transscale) | B: step-delay-ds2 (ds2) | Δ B − A |" in out
        and str(tmp_path / "cmp" / "compare.md") in out
    )
    assert run("sync", str(a.parent), str(tmp_path / "synced")) == 0
    assert (tmp_path / "synced" / a.parent.name / a.name / "metrics.csv").is_file()


def test_a_parquet_export_into_the_session_directory_is_refused_and_keeps_the_runs(make_run: RecordRun) -> None:
    """Review 36 F1: `export SESSION --format parquet --out SESSION --force` emptied every run of the session."""
    a = make_run("transscale")
    before = sorted(p.relative_to(a) for p in a.rglob("*"))
    for force in ((), ("--force",)):
        with pytest.raises(ConfigError, match="is a run's own directory"):
            run("export", str(a.parent), "--format", "parquet", "--out", str(a.parent), *force)
    assert sorted(p.relative_to(a) for p in a.rglob("*")) == before
    assert (a / "metrics.csv").is_file() and (a / "run.json").is_file()


def test_verbs_and_recorder_import_nothing_heavy() -> None:
    """Commands load their engines inside run(); the recorder needs neither numpy, matplotlib nor pyarrow."""
    code = (
        "import sys\n"
        + "".join(f"import scaletui.commands.{verb}\n" for verb in VERBS)
        + "import scaletui.results.recorder, scaletui.results.sync, scaletui.results.export\n"
        "heavy = [m for m in ('matplotlib', 'pyarrow', 'numpy', 'textual', 'rich') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert out.strip() == "[]"


def test_results_engine_never_imports_textual_or_rich() -> None:
    code = (
        "import sys\n"
        "import scaletui.results.report, scaletui.results.compare, scaletui.results.plots\n"
        "print([m for m in ('textual', 'rich') if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert out.strip() == "[]"


def test_report_prints_the_summary_and_rejects_a_non_run(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from scaletui.errors import ConfigError

    session = tmp_path / "session"
    shutil.copytree(run_dir, session / run_dir.name)
    assert run("report", "--no-plots", str(session)) == 0
    out = capsys.readouterr().out
    assert out.startswith(str(session / run_dir.name / "report.md"))
    assert "| latency p99 | 48.0 ms |" in out
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no run results"):
        run("report", str(tmp_path / "empty"))


def test_report_into_a_closed_pipe_exits_quietly(make_run: RecordRun) -> None:
    """`scaletui report RUN | head -1`: the reader leaves before the summary is printed; no traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scaletui", "report", "--no-plots", str(make_run())],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=120)
    assert stderr == "" and proc.returncode == 141


def test_check_slo_fails_a_run_cut_short_saying_why(make_run: RecordRun) -> None:
    """An interrupted run within its bound still has not shown it holds its SLO: a CI gate must not pass it."""
    import json

    run_dir = make_run("transscale")
    meta = json.loads((run_dir / "run.json").read_text())
    (run_dir / "run.json").write_text(json.dumps({**meta, "status": "interrupted"}))
    with pytest.raises(SloError, match=r"not judged: run interrupted after 10\.0 s of 10 s"):
        run("report", "--no-plots", "--check-slo", str(run_dir))
    assert "| SLO | not judged (run interrupted after 10.0 s of 10 s) |" in (run_dir / "report.md").read_text()


def test_check_slo_over_several_runs_names_each_that_failed(
    make_run: RecordRun, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 34 F14: over a session's 13 runs, 7 of which broke the SLO, it said "The run broke its SLO" and named
    none of them."""
    import json
    import shutil

    broke, other = make_run("transscale"), make_run("ds2", slow_factor=2.0)  # both above p99 100 ms for 2 s of 10
    cut = broke.parent / f"{broke.name}-cut"
    shutil.copytree(broke, cut)
    meta = json.loads((cut / "run.json").read_text())
    (cut / "run.json").write_text(json.dumps({**meta, "status": "interrupted"}))
    capsys.readouterr()
    with pytest.raises(SloError, match=r"^3 of 3 runs broke their SLO or were not judged"):
        run("report", "--no-plots", "--check-slo", str(broke.parent), str(other))
    said = capsys.readouterr().err.splitlines()
    assert [line.split(":", 1)[0] for line in said] == [broke.name, cut.name, other.name], said
    assert "SLO FAIL: p99 latency" in said[0] and "SLO not judged (run interrupted" in said[1], said


def test_plot_of_a_run_without_samples_says_so_instead_of_empty_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 34 F15: a live start cancelled before its first sample drew three empty frames with a ±0.04 axis."""
    from scaletui.results import layout

    run_dir = tmp_path / "results" / "s1" / "20261207T073314Z-live"
    run_dir.mkdir(parents=True)
    (run_dir / layout.RUN_META).write_text('{"run_id": "20261207T073314Z-live", "status": "failed"}')
    (run_dir / layout.METRICS_CSV).write_text("ts,t_s,operator,parallelism,target_rate,achieved_rate\n")
    assert run("plot", str(run_dir)) == 0
    out, err = capsys.readouterr()
    assert out == "" and "no samples recorded, nothing to plot" in err, (out, err)
    assert not (run_dir / layout.PLOTS_DIR).exists()


def test_a_results_root_names_its_sessions(run_dir: Path, tmp_path: Path) -> None:
    """Review 34 F25: `report` of a results root said it "holds no run results"; it holds sessions, one to name."""
    import shutil

    from scaletui.errors import ConfigError

    root = tmp_path / "results"
    for session in ("rv34c", "rv34"):
        shutil.copytree(run_dir, root / session / run_dir.name)
    (root / "notes").mkdir()  # neither a run nor a session: not listed
    for verb in ("report", "export", "plot"):
        with pytest.raises(ConfigError, match=r"holding the sessions rv34, rv34c, not runs: give one of them\."):
            run(verb, str(root))
