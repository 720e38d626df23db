"""`scaletui --script`: a one-hour simulated experiment, documented exit codes, clean interruption."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from scaletui.config.loader import load_app_config
from scaletui.config.models import LoadSpec
from scaletui.engine import Engine
from scaletui.headless.runner import run_experiment_file
from scaletui.session.model import StrategyRecord

ROOT = Path(__file__).parents[2]


def scaletui(*args: str, home: Path, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "SCALETUI_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "scaletui", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, **kw
    )


def run_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*") if (p / "run.json").is_file())


def test_one_simulated_hour_runs_headless(tmp_path: Path) -> None:
    """How fast an hour simulates is benchmarks/scaling.py's figure, not this test's (a timed test fails under load)."""
    out = scaletui("--script", "conf/experiments/sim-hour-ds2.toml", "--out", str(tmp_path / "r"), home=tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    (run,) = run_dirs(tmp_path / "r")
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "done"
    decisions = [json.loads(line) for line in (run / "decisions.jsonl").read_text().splitlines()]
    assert any(d["applied"] for d in decisions), "ds2 never scaled on a sine load"
    assert (run / "report.md").read_text().count("| rescales |") == 1
    assert (run / "experiment.toml").read_bytes() == (ROOT / "conf/experiments/sim-hour-ds2.toml").read_bytes()
    assert "[decision ds2]" in out.stdout and "[run]" in out.stdout
    assert "[job] the job runs with the cluster" in out.stdout and "submitting" not in out.stdout, out.stdout[:600]


def test_a_decision_line_says_the_taskmanagers_it_changed() -> None:
    """DS2's first decision printed "applied source=1 ...: every operator keeps up" when what it applied was 2 -> 1
    TaskManagers; the actuation line said "taskmanagers taskmanagers"."""
    from scaletui.events import ActuationEvent, DecisionEvent
    from scaletui.headless.printer import describe

    parallelism = {"source": 1, "expensive": 1}
    decision = DecisionEvent(
        source="scaling", strategy="ds2", parallelism=parallelism, taskmanagers=1,
        reason="DS2: every operator keeps up", applied=True, before=parallelism, taskmanagers_before=2,
    )  # fmt: skip
    assert describe(decision) == (
        "[decision ds2] applied source=1 expensive=1 taskmanagers 2->1: DS2: every operator keeps up"
    )
    same = DecisionEvent(
        source="scaling", strategy="ds2", parallelism=parallelism, taskmanagers=2, reason="kept", applied=False,
        taskmanagers_before=2,
    )  # fmt: skip
    assert describe(same) == "[decision ds2] kept source=1 expensive=1: kept"
    tms = ActuationEvent(source="scaling", kind="taskmanagers", target="taskmanagers", before=2, after=1, started=0.0)
    assert describe(tms) is not None and describe(tms).startswith("[rescale] taskmanagers 2 -> 1")  # type: ignore[union-attr]
    par = ActuationEvent(
        source="scaling", kind="parallelism", target="expensive", before={"source": 1, "expensive": 1},
        after={"source": 1, "expensive": 2}, started=0.0,
    )  # fmt: skip
    assert describe(par) == "[rescale] parallelism expensive 1 -> 2", "no {'expensive': 1} reprs"


def test_a_run_that_only_missed_its_slo_ends_done_with_slo_fail(tmp_path: Path) -> None:
    """It ended `scaletui: failed: results in ...` while its run.json and the run history said done, SLO FAIL
    (review 38)."""
    text = (ROOT / "conf/experiments/sim-hour-ds2.toml").read_text()
    exp = tmp_path / "tight.toml"
    exp.write_text(
        text.replace('duration = "1h"', 'duration = "2m"').replace("p99_latency_ms = 5000", "p99_latency_ms = 1")
    )
    out = scaletui("--script", str(exp), "--out", str(tmp_path / "r"), home=tmp_path)
    assert out.returncode == 5, out.stdout[-2000:] + out.stderr
    (run,) = run_dirs(tmp_path / "r")
    assert f"scaletui: done, SLO FAIL: results in {run}" in out.stdout, out.stdout[-600:]
    assert json.loads((run / "run.json").read_text())["status"] == "done"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[experiment]\nname = "x"\nplatform = "simulator"\n', "key experiment.duration is missing"),
        ('[experiment]\nname = "x"\nplatform = "nowhere"\nduration = 10\n', "names 'nowhere'"),
        (
            '[experiment]\nname = "x"\nplatform = "simulator"\nduration = 10\n[load]\nprofile = "zigzag"\n',
            "load.profile",
        ),
        (
            '[experiment]\nname = "x"\nplatform = "simulator"\nduration = 10\n'
            '[load]\nrate = 100\n[strategy]\nname = "magic"\n',
            "strategy",
        ),
        ("[experiment\n", "not valid TOML"),
    ],
)
def test_malformed_files_exit_2_with_one_sentence(tmp_path: Path, text: str, needle: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = scaletui("--script", str(bad), home=tmp_path)
    assert out.returncode == 2, out.stderr
    first = out.stderr.strip().splitlines()[0]
    assert first.startswith("scaletui: ") and str(bad) in first and needle in first
    assert "Traceback" not in out.stderr


SIM_TIMELINE = (ROOT / "conf/experiments/sim-timeline.toml").read_text()
SIM_FAULT = '\n[[timeline]]\nat = "2m"\ndo = "fault"\nkind = "kill"\nduration = "30s"\n'


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ('name = "ds2"', 'name = "dss2"', 'timeline[0] (at 30s): name = "dss2" is not a strategy'),
        ('operator = "expensive"', 'operator = "expensiv"', 'timeline[2] (at 8m): operator = "expensiv" is not an'),
        ('do = "resume"', 'do = "resum"', 'timeline[4]: do = "resum" is not a step'),
        ("on = true\n", "on = true\n" + SIM_FAULT, "a fault step needs fault injection, which the simulator"),
    ],
    ids=["strategy", "operator", "do", "fault"],
)
def test_timeline_mistakes_exit_2_before_a_run_is_recorded(tmp_path: Path, old: str, new: str, needle: str) -> None:
    """The reviewer's files, each sim-timeline.toml with one line changed: each once ran (or failed) minutes in."""
    assert SIM_TIMELINE.count(old) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text(SIM_TIMELINE.replace(old, new))
    out = scaletui("--script", str(bad), "--out", str(tmp_path / "r"), home=tmp_path)
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr
    first = out.stderr.strip().splitlines()[0]
    assert first.startswith(f"scaletui: {bad}, line ") and needle in first, first
    assert run_dirs(tmp_path / "r") == [] and "[run]" not in out.stdout


def test_sigterm_stops_cleanly_and_keeps_partial_results(tmp_path: Path) -> None:
    exp = tmp_path / "long.toml"
    exp.write_text(
        (ROOT / "conf/experiments/sim-hour-ds2.toml").read_text().replace('duration = "1h"', 'duration = "100h"')
    )
    env = {**os.environ, "SCALETUI_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scaletui", "--script", str(exp), "--out", str(tmp_path / "r")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("[decision") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "SIGTERM received" in stderr
    (run,) = run_dirs(tmp_path / "r")
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
    assert len((run / "metrics.csv").read_text().splitlines()) > 1
    session = (tmp_path / "sessions" / "default" / "session.toml").read_text()
    assert 'status = "interrupted"' in session


def test_a_script_run_leaves_the_apps_live_state_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A --script run on the app's session left its last strategy (ds2, dry-run), its step load and its plots there:
    the app then showed them with no cluster and started its next cluster on that load. It still lists the run."""
    for name in ("SCALETUI_HOME", "SCALETUI_SESSION", "SCALETUI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    conf = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", conf)
    sim = conf / "platforms" / "simulator.toml"
    sim.write_text(sim.read_text().replace("live_speed = 1.0", "live_speed = 20.0"))
    settings = tmp_path / "scaletui.toml"
    settings.write_text(
        tomli_w.dumps({"paths": {p: str(tmp_path / p) for p in ("sessions", "results", "cache")} | {"conf": str(conf)}})
    )
    config = load_app_config(str(settings))

    def shown() -> tuple[StrategyRecord, dict[str, object], list[float]]:
        """What a freshly opened app shows and starts its next cluster with."""
        with Engine(config) as app:
            app.restore_history()
            session = app.store.session
            return session.strategy, session.job.load_profile, app.series.series("rate.target")[1]

    with Engine(config) as app:
        app.live.start("simulator")
        app.live.set_strategy("transscale")
        app.live.toggle_pause()
        app.live.set_load(LoadSpec(profile="constant", rate=500))
        deadline = time.monotonic() + 60
        while round(app.series.last("rate.target") or 0) != 500:
            assert time.monotonic() < deadline, "the load never reached 500 r/s"
            time.sleep(0.05)
        app.live.stop()
    before = shown()
    strategy, load, targets = before
    assert strategy.name == "transscale" and strategy.paused and load["rate"] == 500 and round(targets[-1]) == 500

    assert run_experiment_file(conf / "experiments" / "sim-timeline.toml", config_file=str(settings)) == 0

    assert shown() == before
    with Engine(config) as app:
        script_run = max(app.store.session.runs, key=lambda r: r.started_at)
    assert script_run.experiment == "sim-timeline" and script_run.status == "done" and script_run.headless
    assert (Path(script_run.results_dir) / "run.json").is_file()
    state = [json.loads(line) for line in (Path(script_run.results_dir) / "state.jsonl").read_text().splitlines()]
    rescales = [e["message"] for e in state if e["type"] == "StepTaken" and e["step"]["do"] == "rescale"]
    assert rescales == ["expensive: 4 -> 3."], "the example's hand rescale did nothing (review 38 F4)"


def test_one_line_per_fault_event_and_a_failed_fault_is_marked(tmp_path: Path) -> None:
    """Review 33 #13: every fault was printed twice (`[fault id] injected pause taskmanager-2 pause on taskmanager-2
    for 15 s` and `[info] 20s: Fault id: pause on taskmanager-2 for 15s.`), and a failed one twice more. Through a
    real ledger, with the notice and the error the run publishes for a timeline fault."""
    import io

    from scaletui.chaos.ledger import ChaosLedger
    from scaletui.cluster.base import Instance
    from scaletui.engine.reducer import SessionFaultJournal
    from scaletui.errors import UserError
    from scaletui.events import ErrorEvent, EventBus, Notice
    from scaletui.headless.printer import ProgressPrinter
    from scaletui.session.store import SessionStore
    from tests.chaos.journal import JournalFaults

    bus, out = EventBus(), io.StringIO()
    bus.subscribe(ProgressPrinter(stream=out, tty=False))
    backend = JournalFaults()
    tm = Instance(name="taskmanager-2", role="taskmanager", state="running")
    ledger = ChaosLedger(SessionFaultJournal(SessionStore.open(tmp_path / "s")), bus, [backend], lambda: [tm])

    def timeline_fault(at: float) -> None:
        """What the run does for a timeline's fault step (engine/run.py `_say_step`; tests/engine/test_run_loop.py
        checks the run marks the notice so)."""
        try:
            fault = ledger.fire("pause", ["taskmanager-2"], 15)
            said = f"{at:g}s: Fault {fault.id}: {ledger.said(fault, [])}."
            bus.publish(Notice(source="timeline", message=said, restates=True))
        except UserError as e:
            bus.publish(ErrorEvent(source="run", message=f"Timeline fault at {at:g}s: {e.message}", hint=e.hint))

    timeline_fault(20)
    fired = ledger.active()[0].id
    ledger.revert(fired)
    backend.fail_after = 0
    timeline_fault(50)
    bus.publish(Notice(source="timeline", message="60s: Load: constant (now 300 records/s)."))
    lines = out.getvalue().splitlines()
    failed = lines[2].split()[1].rstrip("]")
    assert lines == [
        f"[fault {fired}] injected pause on taskmanager-2 for 15s",
        f"[fault {fired}] reverted pause on taskmanager-2",
        f"[fault {failed}] FAILED pause on taskmanager-2: not injected: The journal is full. Empty it.",
        "[info] 60s: Load: constant (now 300 records/s).",
    ]


def test_an_experiment_whose_strategy_can_never_act_runs_with_a_warning(tmp_path: Path) -> None:
    """Review 34 F25: a schedule strategy with an empty plan was accepted in silence; the run says it will not act."""
    experiment = tmp_path / "idle.toml"
    experiment.write_text(
        '[experiment]\nname = "idle-schedule"\nplatform = "simulator"\nduration = "1m"\n'
        '[load]\nprofile = "constant"\nrate = 100\n[strategy]\nname = "schedule"\n'
    )
    out = scaletui("--script", str(experiment), "--out", str(tmp_path / "r"), home=tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert "[warning] Strategy schedule has an empty plan, so it will never change the job" in out.stdout, out.stdout


def test_the_schedule_line_counts_the_tables_the_file_has() -> None:
    """A file with one [[faults]] entry and no [[timeline]] printed `1 timeline step(s) scheduled` (review 38 F14)."""
    from scaletui.config.loader import load_experiment
    from scaletui.engine.experiment import scheduled

    conf = ROOT / "conf" / "experiments"
    assert scheduled(load_experiment(conf / "local-step-transscale.toml")) == "1 fault scheduled"
    assert scheduled(load_experiment(conf / "sim-timeline.toml")) == "6 timeline steps scheduled"
