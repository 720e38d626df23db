"""The live session as a run: one run at a time, hand changes pause the autoscaler, decisions and everything shown
are recorded, the strategy survives a reopen, the session log says what happened. On the simulator, sped up."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.errors import UserError
from scaletui.events import DecisionEvent, Event, Notice

ROOT = Path(__file__).parents[2]
FAST_SIM = "live_speed = 20.0"
GUARD_RAILS = {"min_parallelism": 1, "max_parallelism": 8, "max_taskmanagers": 4, "max_slots": 16}
"""conf/experiments/local-constant.toml's, the live session's defaults."""


def until(condition: Callable[[], object], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def fast_config(app_config: AppConfig, tmp_path: Path) -> AppConfig:
    """The repo's conf/ with the simulator at 20 simulated seconds per second in live sessions."""
    conf = tmp_path / "conf"
    shutil.copytree(ROOT / "conf", conf)
    sim = conf / "platforms" / "simulator.toml"
    sim.write_text(sim.read_text().replace("live_speed = 1.0", FAST_SIM))
    return app_config.model_copy(update={"paths": app_config.paths.model_copy(update={"conf": str(conf)})})


@pytest.fixture
def engine(fast_config: AppConfig) -> Iterator[Engine]:
    eng = Engine(fast_config, "live")
    yield eng
    eng.close()


def decisions(engine: Engine) -> list[DecisionEvent]:
    return list(engine.series.decisions)


def test_a_live_session_is_recorded_like_an_experiment(engine: Engine) -> None:
    """Every decision is kept with its inputs and reason, in the engine's series and in decisions.jsonl."""
    engine.live.start("simulator")
    engine.live.set_strategy("ds2")
    until(lambda: len(decisions(engine)) >= 3, "three decisions")
    run_dir = engine.live.experiment.results_dir if engine.live.experiment else None
    engine.live.stop()
    assert run_dir is not None and (run_dir / "run.json").is_file()
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "done"
    recorded = [json.loads(line) for line in (run_dir / "decisions.jsonl").read_text().splitlines()]
    assert len(recorded) >= 3
    assert all(d["reason"] and d["inputs"] and "before" in d for d in recorded)
    assert (run_dir / "metrics.csv").stat().st_size > 1000 and (run_dir / "report.md").is_file()
    (record,) = engine.store.session.runs
    assert record.live and record.status == "done" and record.results_dir == str(run_dir)


def test_a_second_run_is_refused_while_one_is_active(engine: Engine) -> None:
    """Pressing s while an experiment from the Runs screen ran used to open a second cluster beside it (on local
    Flink, stopping the experiment's); the run slot refuses it and says what runs."""
    engine.experiments.start(engine.conf_dir / "experiments" / "sim-hour-ds2.toml")
    try:
        until(lambda: engine.ctx.runs.active is not None, "the experiment to be the active run")
        with pytest.raises(UserError, match="Experiment sim-hour-ds2 is running"):
            engine.live.start("simulator")
        assert engine.experiments.running
    finally:
        engine.experiments.cancel()


def test_a_taskmanager_added_by_hand_pauses_the_autoscaler(engine: Engine) -> None:
    """A TaskManager added with + was removed by the autoscaler two seconds later: a hand change pauses it, as a
    hand rescale does."""
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2")
        assert "TaskManagers: 1 -> 2" in engine.live.change_taskmanagers(+1)
        status = engine.live.strategy_status()
        assert status is not None and status.paused and "by hand" in status.pause_reason
        assert engine.store.session.strategy.paused
    finally:
        engine.live.stop()


def test_a_strategys_parameters_are_kept_in_the_session_and_restored(engine: Engine) -> None:
    """The session kept the strategy's name, pause and dry-run but not its parameters: after a restart ds2 ran with
    target_utilisation=1 again, silently."""
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2", {"target_utilisation": 0.8})
        until(lambda: engine.store.session.strategy.params == {"target_utilisation": 0.8}, "the params in the session")
    finally:
        engine.live.stop()
    engine.live.start("simulator")
    try:
        status = engine.live.strategy_status()
        assert status is not None and status.strategy == "ds2" and "target_utilisation=0.8" in status.settings
        engine.live.set_strategy("threshold")
        until(lambda: engine.store.session.strategy.params == {}, "no overrides for a strategy chosen without any")
    finally:
        engine.live.stop()


def test_two_quick_presses_of_plus_ask_for_two_more_taskmanagers(engine: Engine) -> None:
    """Each press counted from the TaskManagers running, so a second press before the first took effect asked for
    the same count again ("TaskManagers: 2 -> 2")."""
    from concurrent.futures import ThreadPoolExecutor

    engine.live.start("simulator")
    try:
        with ThreadPoolExecutor(2) as pool:
            said = list(pool.map(lambda _: engine.live.change_taskmanagers(+1), range(2)))
        assert sorted(said) == ["TaskManagers: 1 -> 2.", "TaskManagers: 2 -> 3."], said
        cluster = engine.active_cluster()
        assert cluster is not None and len([i for i in cluster.instances() if i.role == "taskmanager"]) == 3
    finally:
        engine.live.stop()


def test_a_rescale_to_the_running_parallelism_restarts_nothing(engine: Engine) -> None:
    """A timeline step or `p` asking for the parallelism already running restarted the job for 2 s; now it is a
    no-op that says so, and still pauses the autoscaler as any change by hand does."""
    from scaletui.events import ActuationEvent

    actuations: list[ActuationEvent] = []
    engine.bus.subscribe(lambda e: actuations.append(e), ActuationEvent)  # type: ignore[arg-type]
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2")
        cluster = engine.active_cluster()
        job = cluster.job() if cluster is not None else None
        assert job is not None
        current = job.parallelism["expensive"]
        said = engine.live.rescale("expensive", current)
        assert said == f"expensive already runs at {current}: nothing to rescale, the job was not restarted."
        assert not [a for a in actuations if a.kind == "parallelism"]
        status = engine.live.strategy_status()
        assert status is not None and status.paused and "by hand" in status.pause_reason
        assert engine.live.rescale("expensive", current + 1) == f"expensive: {current} -> {current + 1}."
        assert [a.after for a in actuations if a.kind == "parallelism"] == [{"expensive": current + 1}]
    finally:
        engine.live.stop()


def test_the_strategy_comes_back_with_the_cluster_after_a_reopen(fast_config: AppConfig) -> None:
    """After quit and reopen the header said "transscale (paused)" while nothing ran it; now starting the cluster
    brings it back as it was, paused included."""
    first = Engine(fast_config, "reopen")
    first.live.start("simulator")
    first.live.set_strategy("transscale")
    first.live.toggle_pause()
    first.close()
    second = Engine(fast_config, "reopen")
    try:
        assert second.store.session.strategy.name == "transscale" and second.store.session.strategy.paused
        second.live.start("simulator")
        status = second.live.strategy_status()
        assert status is not None and status.strategy == "transscale" and status.paused
    finally:
        second.close()


def test_the_loop_settings_changed_live_come_back_with_the_cluster_and_after_a_reopen(fast_config: AppConfig) -> None:
    """Review 35 F4: the session kept a strategy's parameters but not the loop's settings, so after `:strategy ds2
    interval=90.5s` a restarted cluster or a reopened app ran every 10 s again, and the form opened on 10 s. Only what
    was changed is kept: the window, never changed, still comes from the live defaults file."""
    kept = {"interval": 90.5, "cooldown": 30.0}
    running = {**kept, "window": 10.0, **GUARD_RAILS}
    first = Engine(fast_config, "loop")
    try:
        first.live.start("simulator")
        first.live.set_strategy("ds2", {}, {"interval": "90.5s", "cooldown": "30s"})
        until(lambda: first.store.session.strategy.loop == kept, "the loop in the session")
        first.live.stop()
        first.live.start("simulator")
        status = first.live.strategy_status()
        assert status is not None and status.settings.startswith("every 90.5s over 10s, cooldown 30s"), status
        assert first.live.loop_settings() == running
    finally:
        first.close()
    second = Engine(fast_config, "loop")
    try:
        assert second.store.session.strategy.loop == kept
        second.live.start("simulator")
        assert second.live.loop_settings() == running
        second.live.stop()
        second.store.update(lambda s: setattr(s.strategy, "loop", {"interval": 0.0}))
        notices: list[Event] = []
        second.bus.subscribe(notices.append, Notice)
        second.live.start("simulator")
        assert second.live.loop_settings() == {"interval": 10.0, "window": 10.0, "cooldown": 20.0, **GUARD_RAILS}
        said = [n.message for n in notices if isinstance(n, Notice) and "The loop starts with" in n.message]
        assert said and "interval=0s: the time between decisions" in said[0], said
    finally:
        second.close()


def test_a_pause_the_loop_made_itself_does_not_come_back_with_the_cluster(engine: Engine) -> None:
    """A pause the loop gave itself (here a TaskManager added by hand; a failover under a fault is another) was saved
    like the user's and came back with the next cluster as a bare "(paused)"; the user's pause still comes back."""
    engine.live.start("simulator")
    engine.live.set_strategy("ds2")
    engine.live.change_taskmanagers(+1)
    assert engine.store.session.strategy.paused and "by hand" in engine.store.session.strategy.pause_reason
    engine.live.stop()
    engine.live.start("simulator")
    try:
        status = engine.live.strategy_status()
        assert status is not None and status.strategy == "ds2" and not status.paused
        engine.live.toggle_pause()
    finally:
        engine.live.stop()
    engine.live.start("simulator")
    try:
        status = engine.live.strategy_status()
        assert (
            status is not None and status.paused and engine.store.session.strategy.pause_reason == "paused by the user"
        )
    finally:
        engine.live.stop()


def test_capacity_counts_the_taskmanagers_each_node_hosts(engine: Engine) -> None:
    """`_book` was never called, so the capacity view's "CPU booked" showed the whole node."""
    engine.live.start("simulator")
    try:
        capacity = engine.active_capacity()
        assert capacity is not None
        until(lambda: capacity.rows(), "capacity rows from the telemetry")
        tm_cpu = capacity.config.taskmanager.cpu
        hosted = [i for i in engine.active_cluster().instances() if i.role == "taskmanager"]  # type: ignore[union-attr]
        assert hosted and all(r.cpu and r.cpu.size > tm_cpu for r in capacity.rows() if r.node == hosted[0].node)

        def booked() -> dict[str, float]:
            return {r.node: r.cpu.booked for r in capacity.rows() if r.cpu and r.node in {i.node for i in hosted}}

        until(lambda: booked() == {i.node: tm_cpu for i in hosted}, f"{tm_cpu} core booked per TaskManager")

        def booked_on(node: str) -> float | None:
            return next((r.cpu.booked for r in capacity.rows() if r.node == node and r.cpu), None)

        engine.live.change_taskmanagers(+1)
        (added,) = [i for i in engine.active_cluster().instances() if i.role == "taskmanager" and i not in hosted]  # type: ignore[union-attr]
        assert added.node not in {i.node for i in hosted}, "the simulator places a new TaskManager on a free node"
        until(lambda: booked_on(added.node) == tm_cpu, "the added TaskManager's node booked")
        engine.live.change_taskmanagers(-1)
        until(lambda: booked_on(added.node) == 0, "its node booked nothing once it is removed")
    finally:
        engine.live.stop()


def test_a_strategy_that_can_never_act_is_taken_with_a_warning(engine: Engine) -> None:
    """Review 34 F25: `:strategy schedule` (and the form) with the file's empty plan said only "Strategy schedule."."""
    warnings: list[str] = []
    engine.bus.subscribe(lambda e: warnings.append(e.message) if isinstance(e, Notice) and e.level == "warning" else 0)
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("schedule")
        until(lambda: warnings, "the warning")
        assert warnings == [
            "Strategy schedule has an empty plan, so it will never change the job: give its steps as "
            'plan = [{at = "5m", parallelism = {expensive = 3}}] in the experiment\'s [strategy.params] '
            "or in conf/strategies/schedule.toml."
        ]
        engine.live.set_strategy("schedule", {"plan": [{"at": "1m", "parallelism": {"expensive": 2}}]})
        engine.live.set_strategy("ds2")
        assert len(warnings) == 1
    finally:
        engine.live.stop()


def test_the_session_log_says_what_happened(engine: Engine) -> None:
    """The session's scaletui.log stayed at 0 bytes for a whole session although the README sends users there."""
    engine.live.start("simulator")
    with pytest.raises(UserError):
        engine.live.cancel_job()
    engine.live.stop()
    text = engine.log_file.read_text()
    assert "session live opened" in text and "RunChanged" in text


def test_session_writes_are_coalesced_and_off_the_callers_thread(engine: Engine) -> None:
    """One `j`-like burst used to make about four fsync'd writes; a live minute of samples, decisions and instance
    refreshes now costs a few writes a second at most."""
    engine.live.start("simulator")
    try:
        engine.live.set_strategy("ds2")
        before = engine.store.writes
        began = time.monotonic()
        until(lambda: len(decisions(engine)) >= 4, "four decisions")
        elapsed = time.monotonic() - began
        assert engine.store.writes - before <= 4 * elapsed + 2
    finally:
        engine.live.stop()


def test_faults_are_refused_on_the_simulator_in_one_sentence(engine: Engine) -> None:
    engine.live.start("simulator")
    try:
        with pytest.raises(UserError, match="No fault injection on the simulator platform"):
            engine.live.fire_fault("kill", ["role:taskmanager"], 5.0, {})
    finally:
        engine.live.stop()


def test_instances_refresh_follows_the_settings(fast_config: AppConfig) -> None:
    """The [refresh] settings were documented but unused."""
    config = fast_config.model_copy(update={"refresh": fast_config.refresh.model_copy(update={"instances": 30.0})})
    engine = Engine(config, "refresh")
    seen: list[float] = []

    def on(event: Event) -> None:
        if type(event).__name__ == "ClusterChanged" and event.source == "run":
            seen.append(event.ts)

    engine.bus.subscribe(on)
    try:
        engine.live.start("simulator")
        until(lambda: len(seen) >= 3, "three instance refreshes")
        gaps = [b - a for a, b in zip(seen, seen[1:])]
        assert min(gaps) >= 30.0 - 1e-6, gaps
    finally:
        engine.close()


def test_reopening_a_session_shows_its_last_run(fast_config: AppConfig) -> None:
    """What a user watched is not gone when the app closes: a reopened session's series hold the last run."""
    first = Engine(fast_config, "again")
    first.live.start("simulator")
    first.live.set_strategy("ds2")
    until(lambda: len(decisions(first)) >= 2, "two decisions")
    first.live.stop()
    samples = len(first.series.series("rate.target")[0])
    first.close()
    second = Engine(fast_config, "again")
    try:
        assert second.series.last_sample is None
        assert second.restore_history() > 0
        restored = len(second.series.series("rate.target")[0])
        assert restored >= samples - 1 and len(second.series.decisions) >= 2
        assert second.series.last("op.expensive.parallelism") is not None
    finally:
        second.close()


def test_the_session_log_holds_a_decision_once_with_its_outcome(caplog: pytest.LogCaptureFixture) -> None:
    """An applied decision is published at once in progress and again with its outcome: the log wrote both, the first
    reading applied=false, as if it had been refused."""
    from scaletui.engine.core import _log_event

    made = DecisionEvent(ts=1.0, source="scaling", strategy="ds2", parallelism={"expensive": 2}, taskmanagers=1,
                         reason="DS2: expensive 1->2", applied=False, in_progress=True)  # fmt: skip
    with caplog.at_level(logging.INFO, logger="scaletui"):
        _log_event(made)
        _log_event(dataclasses.replace(made, applied=True, in_progress=False, rescale_s=3.0))
    lines = [r.getMessage() for r in caplog.records if "DecisionEvent" in r.getMessage()]
    assert len(lines) == 1 and "applied=true" in lines[0], lines
