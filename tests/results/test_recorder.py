"""The RunRecorder writes every file of a run's directory from a real EventBus, as events arrive."""

from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from scaletui.events import EventBus, MetricsEvent, Notice
from scaletui.results import layout
from scaletui.results.recorder import RunRecorder
from scaletui.results.records import JOB_ROW, LATENCY_COLUMNS, METRICS_COLUMNS, NODES_COLUMNS
from tests.results.stream import EXPERIMENT_TOML, events, sample, write_experiment


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_layout_and_metadata(run_dir: Path) -> None:
    assert run_dir.parent.name == "s1"
    for name in (
        layout.RUN_META,
        layout.EXPERIMENT,
        layout.VERSIONS,
        *layout.CSV_FILES,
        *layout.JSONL_FILES,
        layout.EVENTS_LOG,
        layout.REPORT,
        "metrics.parquet",
        "nodes.parquet",
        "latency.parquet",
    ):
        assert (run_dir / name).is_file(), name
    assert (run_dir / layout.EXPERIMENT).read_text() == EXPERIMENT_TOML.format(strategy="transscale")
    meta = json.loads((run_dir / layout.RUN_META).read_text())
    assert meta["status"] == "done" and meta["samples"] == 10 and meta["ended_at"] >= meta["started_at"]
    versions = json.loads((run_dir / layout.VERSIONS).read_text())
    assert versions["scaletui"] and set(versions) >= {"python", "flink", "playbooks"}


def test_run_ids_sort_by_start_time(tmp_path: Path) -> None:
    ids = [
        layout.new_run_id(name, at)
        for name, at in (("zeta", 1_700_000_000), ("alpha", 1_700_000_061), ("mid", 1_800_000_000))
    ]
    assert sorted(ids) == ids
    first = RunRecorder(tmp_path, "s", experiment_name="same", started_at=1_700_000_000)
    second = RunRecorder(tmp_path, "s", experiment_name="same", started_at=1_700_000_000)
    assert second.run_id == first.run_id + "-2"
    first.close(report=False, parquet=False)
    second.close(report=False, parquet=False)


def test_metrics_csv_has_one_row_per_step_and_operator(run_dir: Path) -> None:
    metrics = rows(run_dir / layout.METRICS_CSV)
    assert list(metrics[0]) == list(METRICS_COLUMNS)
    assert len(metrics) == 10 * 3
    assert {r["operator"] for r in metrics} == {"source", "map", "sink"}
    step7_map = next(r for r in metrics if r["operator"] == "map" and float(r["t_s"]) == 7.0)
    assert (step7_map["parallelism"], step7_map["achieved_rate"], step7_map["free_slots"]) == ("3", "800.0", "1")
    source = next(r for r in metrics if r["operator"] == "source")
    assert source["records_in_per_s"] == "" and source["is_source"] == "1"  # missing stays empty, never 0


def test_nodes_latency_and_event_files(run_dir: Path) -> None:
    nodes = rows(run_dir / layout.NODES_CSV)
    assert list(nodes[0]) == list(NODES_COLUMNS) and len(nodes) == 20
    latency = rows(run_dir / layout.LATENCY_CSV)
    assert list(latency[0]) == list(LATENCY_COLUMNS)
    assert {r["stat"] for r in latency} == {"p50", "p95", "p99"}  # "max" was None: not recorded
    assert len(latency) == 30
    decisions = jsonl(run_dir / layout.DECISIONS)
    assert [d["applied"] for d in decisions] == [True, False]
    assert decisions[0]["parallelism"]["map"] == 3 and decisions[0]["type"] == "DecisionEvent"
    assert decisions[0]["t_s"] == 6.2
    assert [f["action"] for f in jsonl(run_dir / layout.FAULTS)] == ["injected", "reverted"]
    assert [s["type"] for s in jsonl(run_dir / layout.STAGES)] == [
        "StageStateChanged",
        "StageTask",
        "StageStateChanged",
    ]
    assert [a["ended"] is None for a in jsonl(run_dir / layout.ACTUATIONS)] == [True, False]
    log = (run_dir / layout.EVENTS_LOG).read_text().splitlines()
    assert any("JobChanged" in line and "RUNNING" in line for line in log)
    assert not any("MetricsEvent" in line for line in log)
    assert log[-1].endswith('Notice engine: run finished level="info"')


def test_parquet_copies_are_typed(run_dir: Path) -> None:
    table = pq.read_table(run_dir / "metrics.parquet")
    assert table.column_names == list(METRICS_COLUMNS)
    assert str(table.schema.field("parallelism").type) == "int64"
    assert str(table.schema.field("is_source").type) == "bool"
    assert table.num_rows == 30
    records_in = table.column("records_in_per_s").to_pylist()
    assert records_in.count(None) == 10  # the source's missing input rate is null, not 0
    assert pq.read_table(run_dir / "latency.parquet").num_rows == 30


def test_data_reaches_disk_within_a_second_while_open(tmp_path: Path) -> None:
    """No close and no further event: the flusher thread alone must push the row to the file."""
    bus = EventBus()
    recorder = RunRecorder(tmp_path, "live", experiment_name="live", bus=bus, flush_interval_s=0.2)
    start = recorder.started_at
    bus.publish(MetricsEvent(sample=sample(start, 1)))
    path = recorder.run_dir / layout.METRICS_CSV
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(path.read_text().splitlines()) < 4:
        time.sleep(0.05)
    assert len(path.read_text().splitlines()) == 4  # header + 3 operators
    recorder.close(report=False, parquet=False)
    bus.publish(Notice(message="after close"))  # ignored, no error
    assert "after close" not in (recorder.run_dir / layout.EVENTS_LOG).read_text()


def test_concurrent_publishers_do_not_interleave_rows(tmp_path: Path) -> None:
    bus = EventBus()
    recorder = RunRecorder(tmp_path, "threads", experiment_name="threads", bus=bus)
    start = recorder.started_at

    def publish(offset: int) -> None:
        for i in range(50):
            bus.publish(MetricsEvent(sample=sample(start, offset * 1000 + i)))
            bus.publish(Notice(message=f"n{offset}-{i}"))

    threads = [threading.Thread(target=publish, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    run_dir = recorder.close(report=False, parquet=False)
    metrics = rows(run_dir / layout.METRICS_CSV)
    assert len(metrics) == 4 * 50 * 3
    assert all(len(r) == len(METRICS_COLUMNS) and None not in r.values() for r in metrics)
    assert len((run_dir / layout.EVENTS_LOG).read_text().splitlines()) == 200


def test_a_run_that_recorded_nothing_still_reports(tmp_path: Path) -> None:
    """A job that failed before its first sample: the directory is complete and the report says what is unknown."""
    recorder = RunRecorder(tmp_path, "s", experiment_file=write_experiment(tmp_path / "e.toml"))
    run_dir = recorder.close("failed")
    text = (run_dir / layout.REPORT).read_text()
    assert "status: **failed**" in text and "| latency p99 | — |" in text
    assert "| SLO | not judged (run failed after 0.0 s of 10 s) |" in text
    assert rows(run_dir / layout.METRICS_CSV) == [] and (run_dir / "metrics.parquet").is_file()


def test_versions_name_the_playbooks_commit_of_a_checkout(tmp_path: Path) -> None:
    """The repository's playbooks/ is a git work tree here, so its commit is recorded by default."""
    recorder = RunRecorder(tmp_path, "..", experiment_name="v", flink_version="2.3.0")
    run_dir = recorder.close(report=False, parquet=False)
    assert run_dir.parent == tmp_path / "run"  # ".." is not a directory name a session may escape with
    versions = json.loads((run_dir / layout.VERSIONS).read_text())
    assert versions["flink"] == "2.3.0"
    playbooks = versions["playbooks"]
    assert playbooks is None or len(playbooks["commit"]) == 40


def test_a_sample_without_operators_keeps_its_job_values(tmp_path: Path) -> None:
    """A stale sample (job restarting) has no operators: still one full row, loadable and convertible."""
    from scaletui.metrics.model import JobSample

    bus = EventBus()
    recorder = RunRecorder(tmp_path, "stale", experiment_name="stale", bus=bus)
    bus.publish(MetricsEvent(sample=JobSample(ts=recorder.started_at + 1, target_rate=500.0, stale=True)))
    bus.publish(MetricsEvent(sample=sample(recorder.started_at, 2)))
    run_dir = recorder.close(report=False)
    metrics = rows(run_dir / layout.METRICS_CSV)
    assert len(metrics) == 4 and None not in metrics[0].values()
    assert (metrics[0]["operator"], metrics[0]["target_rate"], metrics[0]["stale"]) == (JOB_ROW, "500.0", "1")
    meta = json.loads((run_dir / layout.RUN_META).read_text())
    assert "parquet_error" not in meta
    table = pq.read_table(run_dir / "metrics.parquet")
    assert table.num_rows == 4 and table.column("operator").to_pylist()[0] == JOB_ROW


def test_a_live_recording_learns_the_flink_version_when_the_cluster_says_it(tmp_path: Path) -> None:
    """A live session's recorder starts with the cluster, before Flink answered: the report said "Flink —"."""
    from scaletui.events import LocalClusterChanged

    bus = EventBus()
    recorder = RunRecorder(tmp_path, "s", experiment_name="live", bus=bus)
    assert json.loads((recorder.run_dir / layout.VERSIONS).read_text())["flink"] is None
    bus.publish(LocalClusterChanged(source="cluster", processes=(), rest_url="http://127.0.0.1:1", flink_home="/x",
                                    flink_version="2.3.0"))  # fmt: skip
    run_dir = recorder.close(parquet=False)
    assert json.loads((run_dir / layout.VERSIONS).read_text())["flink"] == "2.3.0"
    assert "Flink 2.3.0" in (run_dir / layout.REPORT).read_text()


def test_rows_written_before_the_origin_join_its_timeline(tmp_path: Path) -> None:
    """A run learns its origin (the job's start) after recording a while: t_s must not jump back at that point."""
    bus = EventBus()
    start = time.time() - 11
    recorder = RunRecorder(tmp_path, "s", experiment_name="origin", bus=bus, started_at=start)
    stream = events(start)
    half = len(stream) // 2
    for event in stream[:half]:
        bus.publish(event)
    recorder.set_origin(start + 4.0)
    for event in stream[half:]:
        bus.publish(event)
    run_dir = recorder.close("done", report=False, parquet=False)
    for name in layout.CSV_FILES:
        table = rows(run_dir / name)
        assert all(float(r["t_s"]) == round(float(r["ts"]) - start - 4.0, 3) for r in table), name
    metrics = [float(r["t_s"]) for r in rows(run_dir / layout.METRICS_CSV)]
    assert metrics == sorted(metrics) and metrics[0] < 0 < metrics[-1]
    lines = [line for name in layout.JSONL_FILES for line in jsonl(run_dir / name)]
    assert lines and all(line["t_s"] == round(line["ts"] - start - 4.0, 3) for line in lines)
    assert json.loads((run_dir / layout.RUN_META).read_text())["origin"] == start + 4.0


def test_rows_before_the_job_are_labelled_and_left_out_of_the_duration(tmp_path: Path) -> None:
    """A local run records the cluster before its job runs: those rows say `(job)` (no NaN group in a notebook),
    t_s < 0, and the duration runs from the job's start to its last sample, not over them or the teardown."""
    from scaletui.metrics.model import JobSample
    from scaletui.results.playback import read_samples
    from scaletui.results.rundata import load_run
    from scaletui.results.summary import summarize

    bus = EventBus()
    start = time.time() - 100
    recorder = RunRecorder(tmp_path, "local", experiment_file=write_experiment(tmp_path / "e.toml"), bus=bus)
    recorder.started_at = start  # the recorder opened 4 s before the job began
    for early in (start + 1, start + 2, start + 3):
        early_sample = JobSample(ts=early, target_rate=50.0, taskmanagers=2, total_slots=4, free_slots=0)
        bus.publish(MetricsEvent(sample=early_sample))
    recorder.set_origin(start + 4)
    for step in range(1, 11):
        bus.publish(MetricsEvent(sample=sample(start + 4, step)))
    run_dir = recorder.close("done", report=False)  # ends now, long after the last sample: the teardown
    early_rows = [r for r in rows(run_dir / layout.METRICS_CSV) if float(r["t_s"]) < 0]
    assert [(r["operator"], r["t_s"]) for r in early_rows] == [(JOB_ROW, "-3.0"), (JOB_ROW, "-2.0"), (JOB_ROW, "-1.0")]
    assert None not in pq.read_table(run_dir / "metrics.parquet").column("operator").to_pylist()
    data = load_run(run_dir)
    assert set(data.parallelism) == {"source", "map", "sink"}
    summary = summarize(data)  # every figure over the job's time only, as the simulator's runs have no other
    assert data.duration == 10.0 and summary.value("duration_s") == 10.0
    assert (summary.value("target_rate"), summary.value("slot_seconds")) == (1000.0, 2 * 10.0)  # map at 2
    assert data.step_durations()[data.job_steps()].sum() == 10.0
    assert read_samples(run_dir)[0].operators == {}
