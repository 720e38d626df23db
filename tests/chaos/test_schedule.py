"""Fault schedules from experiment files, driven by an injected clock; faults go through a real ledger whose
backend records what it is asked to do (an in-memory backend: the scheduler's timing is what is under test)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.schedule import FaultScheduler
from scaletui.cluster.base import Instance
from scaletui.config.models import Experiment, FaultSpec
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.errors import ConfigError
from scaletui.events import ErrorEvent, EventBus
from scaletui.session.store import SessionStore
from tests.chaos.conftest import Recorder
from tests.chaos.journal import JournalFaults

Setup = tuple[ChaosLedger, JournalFaults, list[float], Recorder]
TMS = [Instance(name=f"tm-{n}", role="taskmanager", state="running", pid=None) for n in (1, 2)]


def experiment_faults() -> list[FaultSpec]:
    doc = {
        "experiment": {"name": "x", "duration": "10m"},
        "faults": [
            {
                "at": "2m",
                "kind": "delay",
                "duration": "30s",
                "targets": ["role:taskmanager"],
                "params": {"latency_ms": 100, "jitter_ms": 10},
            },
            {"at": 30, "kind": "pause", "duration": "10s", "targets": ["tm-2"]},
            {"at": "5m", "kind": "bandwidth", "duration": "1m", "targets": ["tm-1"], "params": {"rate": "1mbit"}},
        ],
    }
    return Experiment.model_validate(doc).faults


@pytest.fixture
def setup(tmp_path: Path) -> tuple[ChaosLedger, JournalFaults, list[float], Recorder]:
    clock = [0.0]
    backend = JournalFaults()
    bus = EventBus()
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        bus,
        [backend],
        instances=lambda: TMS,
        clock=lambda: clock[0],
    )
    return ledger, backend, clock, Recorder(bus)


def test_faults_fire_at_their_offsets_and_expire(setup: Setup) -> None:
    ledger, backend, clock, seen = setup
    scheduler = FaultScheduler(ledger, experiment_faults(), clock=lambda: clock[0]).start()
    clock[0] = 29.9
    assert scheduler.poll() == []
    clock[0] = 30.0
    assert [f.kind for f in scheduler.poll()] == ["pause"]
    assert scheduler.next_in() == pytest.approx(90.0)
    clock[0] = 41.0
    assert len(ledger.tick()) == 1 and backend.journal == []  # the pause expired at 40 s
    clock[0] = 120.0
    [delay] = scheduler.poll()
    assert backend.injected[-1] == ("delay", ("tm-1", "tm-2"), 30.0)
    assert delay.params["latency_ms"] == 100
    clock[0] = 300.0
    assert scheduler.poll() == [] and scheduler.done
    assert [(spec.kind, why) for spec, why in scheduler.failed] == [("bandwidth", "Bandwidth faults need root.")]
    assert any(isinstance(e, ErrorEvent) and "bandwidth fault at 300 s failed" in e.message for e in seen.events)


def test_bad_parameters_are_refused_before_the_run(setup: Setup) -> None:
    ledger = setup[0]
    bad = [FaultSpec(at=1, kind="delay", duration=5, targets=["tm-1"], params={"latency": 100})]
    with pytest.raises(ConfigError, match=r"faults\[0\]: key params.latency"):
        FaultScheduler(ledger, bad)


def test_run_blocks_until_done_or_cancelled(setup: Setup) -> None:
    ledger, backend, clock, _ = setup
    specs = [
        FaultSpec(at=0, kind="pause", duration=5, targets=["tm-1"]),
        FaultSpec(at=1000, kind="pause", duration=5, targets=["tm-2"]),
    ]
    scheduler = FaultScheduler(ledger, specs, clock=lambda: clock[0])
    cancel = threading.Event()
    worker = threading.Thread(target=scheduler.run, args=(cancel,), kwargs={"max_wait_s": 0.01})
    worker.start()
    deadline = threading.Event()
    for _ in range(500):
        if scheduler.fired:
            break
        deadline.wait(0.01)
    assert [f.targets for f in scheduler.fired] == [["tm-1"]]
    cancel.set()
    worker.join(timeout=5)
    assert not worker.is_alive() and not scheduler.done
