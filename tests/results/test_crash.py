"""A recorder process killed with SIGKILL mid-run leaves results that load and report (status: cut short)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.results import layout
from scaletui.results.recorder import RunRecorder
from scaletui.results.report import write_report
from scaletui.results.rundata import load_run

RECORDER_SCRIPT = """
import sys, time
from scaletui.events import EventBus, MetricsEvent, DecisionEvent
from scaletui.results.recorder import RunRecorder
from tests.results.stream import sample, write_experiment
from pathlib import Path

root = Path(sys.argv[1])
bus = EventBus()
recorder = RunRecorder(root, "crash", experiment_file=write_experiment(root / "exp.toml"), bus=bus)
print(recorder.run_dir, flush=True)
start = recorder.started_at
for step in range(1, 400):  # bounded: about 20 s if never killed
    bus.publish(MetricsEvent(sample=sample(start, step)))
    if step % 5 == 0:
        bus.publish(DecisionEvent(strategy="ds2", parallelism={"map": 2}, taskmanagers=1, reason="hold",
                                  applied=False))
    time.sleep(0.05)
"""


def count_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


def test_sigkill_mid_run_keeps_readable_partial_results(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", RECORDER_SCRIPT, str(tmp_path)],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    try:
        assert proc.stdout is not None
        run_dir = Path(proc.stdout.readline().strip())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and count_lines(run_dir / layout.METRICS_CSV) < 1 + 3 * 12:
            time.sleep(0.05)
        seen = count_lines(run_dir / layout.METRICS_CSV)
        assert seen >= 1 + 3 * 12, "the recorder never flushed 12 samples"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    with (run_dir / layout.METRICS_CSV).open("a") as f:
        f.write("1795395637.5,1.5,map,2,32,1000.0,10")  # a row cut mid-write
    with (run_dir / layout.DECISIONS).open("a") as f:
        f.write('{"type": "DecisionEvent", "ts": 17')
    data = load_run(run_dir)
    assert data.status == "running"
    assert len(data.ts) >= 12 and set(data.parallelism) == {"source", "map", "sink"}
    assert len(data.decisions) >= 2 and all(d["strategy"] == "ds2" for d in data.decisions)
    text = write_report(run_dir).read_text()
    assert "The recorder did not close" in text
    assert "| throughput target (mean) | 1,000.0 rec/s |" in text
    assert (run_dir / layout.PLOTS_DIR / "throughput.png").stat().st_size > 1000


def test_reopening_the_session_closes_a_killed_run(tmp_path: Path) -> None:
    """The next scaletui marks the run interrupted in the session; its run.json and report follow, ending at the
    last recorded sample (not at the moment of reopening)."""
    import json

    from scaletui.engine.reducer import SessionReducer
    from scaletui.events import EventBus, MetricsEvent
    from scaletui.session.model import RunRecord
    from scaletui.session.store import SessionStore
    from tests.results.stream import sample

    start = time.time() - 100
    recorder = RunRecorder(tmp_path / "results", "s", experiment_name="killed", started_at=start)
    for step in range(1, 6):
        recorder.record(MetricsEvent(sample=sample(start, step)))
    recorder.flush()  # what a SIGKILL leaves: rows on disk, run.json still "running", no report
    store = SessionStore.open(tmp_path / "session")
    run = RunRecord(id=recorder.run_id, experiment="killed", started_at=start, results_dir=str(recorder.run_dir))
    store.update(lambda s: s.runs.append(run), durable=True)

    assert SessionReducer(store, EventBus()).mark_interrupted_runs() == [recorder.run_id]
    meta = json.loads((recorder.run_dir / layout.RUN_META).read_text())
    last = sample(start, 5).ts
    assert meta["status"] == "interrupted" and meta["ended_at"] == last
    assert (recorder.run_dir / layout.REPORT).is_file() and (recorder.run_dir / "metrics.parquet").is_file()
    assert store.session.runs[0].status == "interrupted" and store.session.runs[0].ended_at == last


def test_a_recovery_cut_short_is_finished_by_the_next_open(tmp_path: Path) -> None:
    """The reopen that closed a killed run was itself ended before the report: run.json says interrupted (in the
    session too, or not yet), Parquet is there, report.md and plots are not. Each later open finishes it."""
    import shutil

    from scaletui.engine.reducer import SessionReducer
    from scaletui.events import EventBus, MetricsEvent
    from scaletui.results.recorder import close_interrupted
    from scaletui.session.model import RunRecord
    from scaletui.session.store import SessionStore
    from tests.results.stream import sample

    start = time.time() - 100
    store = SessionStore.open(tmp_path / "session")
    run_dirs = []
    for session_status in ("interrupted", "running"):
        recorder = RunRecorder(tmp_path / "results", "s", experiment_name=session_status, started_at=start)
        for step in range(1, 6):
            recorder.record(MetricsEvent(sample=sample(start, step)))
        recorder.flush()
        close_interrupted(recorder.run_dir)  # the first recovery, then cut short before the report was kept:
        (recorder.run_dir / layout.REPORT).unlink()
        shutil.rmtree(recorder.run_dir / layout.PLOTS_DIR)
        run = RunRecord(
            id=recorder.run_id, experiment="cut", started_at=start, results_dir=str(recorder.run_dir)
        ).model_copy(update={"status": session_status})
        store.update(lambda s, run=run: s.runs.append(run), durable=True)
        run_dirs.append(recorder.run_dir)

    assert SessionReducer(store, EventBus()).mark_interrupted_runs() == [store.session.runs[1].id]
    for run_dir in run_dirs:
        assert "status: **interrupted**" in (run_dir / layout.REPORT).read_text()
        assert (run_dir / layout.PLOTS_DIR / "throughput.png").is_file()
        assert (run_dir / "metrics.parquet").is_file()
    assert [r.status for r in store.session.runs] == ["interrupted", "interrupted"]
    assert store.session.runs[1].ended_at == start + 5  # the last sample's, kept by the first recovery


def crash_a_live_run(config: AppConfig, backend: str, samples: int = 12) -> Path:
    """What a scaletui killed mid-session leaves (SIGKILL, a closed terminal before review 36 W3): a live run whose
    experiment.toml was last written at its one intent (at 0.5 s: `duration = 1.0`), `samples` seconds recorded, the
    run `running` in the session, and the cluster and job the session says run on `backend`."""
    from scaletui.config.models import Experiment, ExperimentInfo, RescaleStep
    from scaletui.engine import Engine
    from scaletui.engine.timeline import HandTimeline
    from scaletui.events import MetricsEvent
    from scaletui.session.model import ProcessRecord, RunRecord
    from tests.results.stream import sample

    start = time.time() - samples - 1
    recorder = RunRecorder(config.paths.results, "crashed", experiment_name="live", started_at=start)
    recorder.set_origin(start)
    started = Experiment(experiment=ExperimentInfo(name="live", duration=3600, platform=backend))
    hand = HandTimeline(recorder.run_dir / layout.EXPERIMENT, started)
    hand.add(RescaleStep(do="rescale", operator="map", parallelism=3, at=0.5), elapsed=0.5)
    for step in range(1, samples + 1):
        recorder.record(MetricsEvent(sample=sample(start, step)))
    recorder.flush()
    run = RunRecord(id=recorder.run_id, experiment="live", started_at=start, results_dir=str(recorder.run_dir))
    run = run.model_copy(update={"live": True, "backend": backend})

    def crash(s) -> None:  # type: ignore[no-untyped-def]
        s.runs.append(run)
        s.cluster.backend = backend
        s.cluster.processes = [ProcessRecord(role="jobmanager", name="jobmanager", pid=2**22 + 1)] * (
            backend == "local"
        )
        s.job.job_id, s.job.name, s.job.state, s.job.taskmanagers = "sim-job", "simulated workload", "RUNNING", 1

    with Engine(config, "crashed") as engine:
        engine.store.update(crash, durable=True)
    return recorder.run_dir


def test_reopening_after_a_crash_forgets_the_simulator(app_config: AppConfig) -> None:
    """Review 36 W2: after the app was killed, every later start said `cluster simulator │ job running` and waited
    for the simulator's instances, which had ended with the process they ran in."""
    from scaletui.engine import Engine

    crash_a_live_run(app_config, "simulator")
    with Engine(app_config, "crashed") as engine:
        session = engine.store.session
        assert (session.cluster.backend, session.job.job_id, session.job.state) == ("none", "", "none")
        assert session.runs[0].status == "interrupted"
        assert not engine.leftover_cluster()


def test_a_crashed_local_cluster_is_kept_for_s_or_destroy(app_config: AppConfig) -> None:
    """Local Flink's JVMs outlive the app by design: the session keeps them, for `S` or `destroy` to stop."""
    from scaletui.engine import Engine

    crash_a_live_run(app_config, "local")
    with Engine(app_config, "crashed") as engine:
        session = engine.store.session
        assert (session.cluster.backend, session.job.job_id, len(session.cluster.processes)) == ("local", "sim-job", 1)
        assert engine.leftover_cluster()


def test_destroy_after_a_crash_leaves_no_simulator_running(
    app_config: AppConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review 36 W2: `destroy --yes` said `simulator: released.` and the session kept `backend = "simulator"` and
    `job_id = "sim-job"`, which every later start showed as running."""
    import tomllib

    from scaletui.cli import main
    from scaletui.engine import Engine
    from scaletui.session.model import Reservation

    crash_a_live_run(app_config, "simulator")
    with Engine(app_config, "crashed") as engine:  # the recovery ran once already: the run is interrupted
        engine.store.update(
            lambda s: s.reservations.append(Reservation(platform="simulator", type="simulator", state="running")),
            durable=True,
        )
        engine.store.update(lambda s: setattr(s.cluster, "backend", "simulator"), durable=True)
        engine.store.update(lambda s: setattr(s.job, "job_id", "sim-job"), durable=True)
    config = tmp_path / "scaletui.toml"
    paths = app_config.paths
    config.write_text(f'[paths]\nsessions = "{paths.sessions}"\nresults = "{paths.results}"\nconf = "{paths.conf}"\n')
    assert main(["--config", str(config), "--session", "crashed", "destroy", "--yes"]) == 0
    assert "simulator: released" in capsys.readouterr().out
    saved = tomllib.loads((Path(paths.sessions) / "crashed" / "session.toml").read_text())
    assert saved["cluster"]["backend"] == "none" and saved["job"]["job_id"] == ""


def test_reopening_after_a_crash_stretches_the_live_timeline_to_the_recorded_length(app_config: AppConfig) -> None:
    """Review 36 W4: the live run's experiment.toml kept `duration = 1.0`, written at its one intent, for a run
    recorded for 12 s, so a `--script` re-run of it stopped after a second. The recovery that closes the run makes
    it 12 s, keeps its steps, and the report is written after it."""
    from scaletui.config.loader import load_experiment
    from scaletui.engine import Engine

    run_dir = crash_a_live_run(app_config, "simulator")
    Engine(app_config, "crashed").close()
    replayed = load_experiment(run_dir / layout.EXPERIMENT)
    assert replayed.experiment.duration == 12.0
    assert [(s.do, s.at) for s in replayed.steps()] == [("rescale", 0.5)]
    assert (run_dir / layout.EXPERIMENT).read_text().startswith("# What was done by hand in a live session")
    assert "status: **interrupted**" in (run_dir / layout.REPORT).read_text()
