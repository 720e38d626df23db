"""export: one archive holding the run under its id, or Parquet tables a notebook reads."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scaletui.errors import ConfigError
from scaletui.results import layout
from scaletui.results.export import EXPORT_MARKER, export_archive, export_parquet, export_runs


def test_archive_holds_the_run_under_its_id(run_dir: Path, tmp_path: Path) -> None:
    archive = export_archive(run_dir, tmp_path)
    assert archive == tmp_path / f"{run_dir.name}.tar.gz"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        tar.extractall(tmp_path / "out", filter="data")
    for name in (layout.METRICS_CSV, layout.DECISIONS, layout.EXPERIMENT, "plots/latency.png"):
        assert f"{run_dir.name}/{name}" in names
    assert (tmp_path / "out" / run_dir.name / layout.METRICS_CSV).read_bytes() == (
        run_dir / layout.METRICS_CSV
    ).read_bytes()


def test_parquet_set_for_notebooks(run_dir: Path, tmp_path: Path) -> None:
    out = export_parquet(run_dir, tmp_path / "pq")
    for name in ("metrics", "nodes", "latency", "decisions", "faults", "stages", "actuations"):
        assert (out / f"{name}.parquet").is_file(), name
    decisions = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [d["applied"] for d in decisions] == [True, False]
    assert decisions[0]["parallelism"] == '{"map": 3, "sink": 1, "source": 1}'
    faults = pq.read_table(out / "faults.parquet")
    assert faults.column("action").to_pylist() == ["injected", "reverted"]
    assert pq.read_table(out / "metrics.parquet").num_rows == 30
    assert (out / layout.RUN_META).is_file() and (out / layout.EXPERIMENT).is_file()


def test_a_run_without_faults_or_stages_still_has_their_tables(run_dir: Path, tmp_path: Path) -> None:
    quiet = Path(shutil.copytree(run_dir, tmp_path / run_dir.name))  # the fixture's run is shared
    (quiet / layout.FAULTS).write_text("")
    (quiet / layout.STAGES).unlink(missing_ok=True)
    out = export_parquet(quiet, tmp_path / "pq")
    for name in ("faults", "stages"):
        table = pq.read_table(out / f"{name}.parquet")
        assert table.num_rows == 0 and {"type", "ts", "t_s"} <= set(table.column_names), name
    faults = pq.read_table(out / "faults.parquet")
    assert "action" in faults.column_names and str(faults.schema.field("ts").type) == "double"


def test_out_is_a_directory_for_one_run_as_for_several(run_dir: Path, tmp_path: Path) -> None:
    """One rule a script can rely on: --out DIR gets <run-id>.tar.gz per run (<run-id>/ for Parquet), one or many;
    only a path ending .tar.gz is a file, and only for one run's archive."""
    other = Path(shutil.copytree(run_dir, tmp_path / "s" / f"{run_dir.name}-b"))
    assert export_runs([run_dir], "archive", tmp_path / "one") == [tmp_path / "one" / f"{run_dir.name}.tar.gz"]
    both = export_runs([run_dir, other], "archive", tmp_path / "two")
    assert both == [tmp_path / "two" / f"{r.name}.tar.gz" for r in (run_dir, other)]
    assert all(tarfile.is_tarfile(p) for p in both)
    assert export_runs([run_dir], "parquet", tmp_path / "pq") == [tmp_path / "pq" / run_dir.name]
    assert (tmp_path / "pq" / run_dir.name / "metrics.parquet").is_file()
    assert export_runs([run_dir], "archive", tmp_path / "named.tar.gz") == [tmp_path / "named.tar.gz"]
    with pytest.raises(ConfigError, match="names one archive"):
        export_runs([run_dir, other], "archive", tmp_path / "both.tar.gz")
    (tmp_path / "plain").write_text("")
    with pytest.raises(ConfigError, match="is a file"):
        export_runs([run_dir], "archive", tmp_path / "plain")


def test_an_export_already_there_is_kept_unless_forced(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 34 F25: a second export of a run into the same --out replaced the first without a word."""
    from scaletui.cli import main

    other = Path(shutil.copytree(run_dir, tmp_path / "s" / f"{run_dir.name}-b"))
    first = export_runs([run_dir], "archive", tmp_path / "out")[0]
    first.write_bytes(b"the archive sent last week")
    assert main(["export", str(other), str(run_dir), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{first} already exists: an earlier export of run {run_dir.name} is kept." in err, err
    assert "Remove it, give another --out, or add --force to replace it." in err
    assert first.read_bytes() == b"the archive sent last week"
    assert not (tmp_path / "out" / f"{other.name}.tar.gz").exists()  # refused before anything was written
    with pytest.raises(ConfigError, match="already exists"):
        export_runs([run_dir], "archive", first)
    assert main(["export", str(run_dir), "--out", str(tmp_path / "out"), "--force"]) == 0
    assert tarfile.is_tarfile(first)
    export_runs([run_dir], "parquet", tmp_path / "pq")
    with pytest.raises(ConfigError, match="already exists"):
        export_runs([run_dir], "parquet", tmp_path / "pq")
    assert export_runs([run_dir], "parquet", tmp_path / "pq", force=True) == [tmp_path / "pq" / run_dir.name]


def test_a_forced_parquet_export_replaces_the_earlier_set_whole(run_dir: Path, tmp_path: Path) -> None:
    """Review 35 F21: --force wrote over the Parquet directory without clearing it, so a table left from the
    earlier export stayed beside the new ones; a directory that holds no export is never cleared."""
    (out,) = export_runs([run_dir], "parquet", tmp_path / "pq")
    (out / "stale.parquet").write_bytes(b"from an earlier export")
    assert export_runs([run_dir], "parquet", tmp_path / "pq", force=True) == [out]
    assert not (out / "stale.parquet").exists()
    assert (out / "metrics.parquet").is_file()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="no export of a run"):
        export_parquet(run_dir, mine, force=True)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_an_export_into_the_session_directory_never_touches_its_runs(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 F1: with --out the session directory, a run's Parquet set went to the run directory itself, which
    holds run.json as an export does, so --force emptied the run: metrics.csv, run.json and the JSONL files gone."""
    from scaletui.cli import main

    session = tmp_path / "session"
    run = Path(shutil.copytree(run_dir, session / run_dir.name))  # the fixture's run is shared
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    for force in (False, True):
        with pytest.raises(ConfigError, match="is a run's own directory") as refused:
            export_runs([run], "parquet", session, force=force)
        assert refused.value.hint.startswith("Give an --out outside every run directory"), refused.value.hint
        with pytest.raises(ConfigError, match="is a run's own directory"):
            export_parquet(run, run, force=force)
        with pytest.raises(ConfigError, match="lies inside the run directory"):
            export_runs([run], "archive", run, force=force)
    assert main(["export", str(session), "--format", "parquet", "--out", str(session), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"{run} is a run's own directory: the export of run {run.name} would mix with a run's files" in err, err
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
    with pytest.raises(ConfigError, match=f"holds the run directory {run}"):
        export_parquet(run, session, force=True)
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_force_replaces_only_a_directory_marked_as_an_export(run_dir: Path, tmp_path: Path) -> None:
    """A directory holding a copy of a run (run.json, metrics.csv) is not an export, whatever --force says."""
    (out,) = export_runs([run_dir], "parquet", tmp_path / "pq")
    assert (out / EXPORT_MARKER).is_file() and not (run_dir / EXPORT_MARKER).exists()
    copy = Path(shutil.copytree(run_dir, tmp_path / "copies" / run_dir.name))
    with pytest.raises(ConfigError, match="is a run's own directory"):
        export_runs([run_dir], "parquet", tmp_path / "copies", force=True)
    assert (copy / layout.METRICS_CSV).is_file() and (copy / layout.RUN_META).is_file()


def test_an_export_made_before_the_marker_is_still_replaced_by_force(run_dir: Path, tmp_path: Path) -> None:
    """Exports written before the marker existed (Parquet tables and run.json, none of a run's CSV or JSONL files)
    are recognised as exports, so --force replaces them instead of asking the user to remove them by hand."""
    (out,) = export_runs([run_dir], "parquet", tmp_path / "pq")
    (out / EXPORT_MARKER).unlink()
    (out / "stale.parquet").write_bytes(b"from an earlier export")
    assert export_runs([run_dir], "parquet", tmp_path / "pq", force=True) == [out]
    assert not (out / "stale.parquet").exists() and (out / EXPORT_MARKER).is_file()


def test_a_parquet_export_beside_its_run_is_not_one_of_the_session_s_runs(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The export's default place is beside the run, in the session's directory, and it holds run.json: `report
    SESSION_DIR --check-slo` took it for a run of no samples, wrote a report into it and exited 5 (review 38 F1)."""
    from scaletui.cli import main

    session = tmp_path / "s1"
    run = Path(shutil.copytree(run_dir, session / run_dir.name))
    (out,) = export_runs([run], "parquet", None)
    assert out.parent == session and (out / layout.RUN_META).is_file()
    assert layout.find_runs(session) == [run]
    exported_report = (out / layout.REPORT).read_bytes()
    assert main(["report", str(session), "--no-plots"]) == 0, capsys.readouterr().err
    assert f"{out}/" not in capsys.readouterr().out and (out / layout.REPORT).read_bytes() == exported_report
    assert main(["report", str(out)]) == 2
    assert f"{out} is an export of a run (scaletui export), not a run's results." in capsys.readouterr().err
