"""The ledger's guarantees, with an in-memory backend (tests/chaos/journal.py): write-ahead recording, revert of a
half-applied fault, expiry, revert on close, and crash recovery from a session file a dead process left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scaletui.chaos.ledger import ChaosLedger
from scaletui.cluster.base import Instance
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.errors import ConfigError, PlatformError
from scaletui.events import EventBus, FaultEvent, Notice
from scaletui.session.model import FaultRecord
from scaletui.session.store import SessionStore
from tests.chaos.conftest import Recorder
from tests.chaos.journal import JournalFaults

TMS = [
    Instance(name="tm-1", role="taskmanager", state="running"),
    Instance(name="jm", role="jobmanager", state="running"),
]


def make(tmp_path: Path, backend: JournalFaults, clock: list[float] | None = None) -> tuple[ChaosLedger, Recorder]:
    bus = EventBus()
    c = clock or [100.0]
    return ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")),
        bus,
        [backend],
        instances=lambda: TMS,
        clock=lambda: c[0],
    ), Recorder(bus)


def test_each_undo_step_is_saved_before_its_change(tmp_path: Path) -> None:
    backend = JournalFaults(steps=3)
    ledger, _ = make(tmp_path, backend)
    saved_steps: list[int] = []

    def spy() -> None:  # at the moment of each change, the file on disk already holds its undo
        on_disk = SessionStore.open(tmp_path / "s").session.faults[0]
        saved_steps.append(len(on_disk.undo["steps"]))

    backend.before_change = spy
    fault = ledger.fire("delay", ["tm-1"], 10, {"latency_ms": 5})
    assert saved_steps == [1, 2, 3]
    assert fault.undo["state"] == "active" and fault.params["latency_ms"] == 5


def test_a_half_applied_fault_is_reverted_and_reported(tmp_path: Path) -> None:
    backend = JournalFaults(steps=3, fail_after=2)
    ledger, seen = make(tmp_path, backend)
    with pytest.raises(PlatformError, match="journal is full"):
        ledger.fire("pause", ["tm-1"], 10)
    assert backend.journal == [] and len(backend.undone) == 2
    assert ledger.active() == []
    assert [e.action for e in seen.of(FaultEvent)] == ["failed"]


def test_targets_and_params_are_checked_first(tmp_path: Path) -> None:
    ledger, _ = make(tmp_path, JournalFaults())
    with pytest.raises(ConfigError, match="matches no running instance"):
        ledger.fire("pause", ["tm-9"], 10)
    with pytest.raises(ConfigError, match="params.percent"):
        ledger.fire("loss", ["tm-1"], 10, {"percent": 300})
    with pytest.raises(ConfigError, match="duration"):
        ledger.fire("pause", ["tm-1"], 0)
    assert ledger.active() == []


def test_expiry_and_close(tmp_path: Path) -> None:
    backend = JournalFaults()
    clock = [100.0]
    ledger, seen = make(tmp_path, backend, clock)
    short = ledger.fire("pause", ["role:taskmanager"], 5)
    ledger.fire("pause", ["jm"], 50)
    clock[0] = 104.9
    assert ledger.tick() == []
    clock[0] = 105.0
    assert ledger.tick() == [short.id]
    assert ledger.close() == 1 and backend.journal == []
    assert [e.action for e in seen.of(FaultEvent)] == ["injected", "injected", "expired", "reverted"]


def test_recover_reverts_what_a_dead_process_left_and_says_so(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    store = SessionStore.open(tmp_path / "s")
    orphan = FaultRecord(
        id="abc",
        kind="pause",
        targets=["tm-1"],
        started_at=1,
        expires_at=2,
        undo={
            "owner_pid": dead_pid,
            "owner_start": 1,
            "state": "applying",
            "steps": [{"op": "forget", "id": "x/0"}, {"op": "forget", "id": "x/1"}],
        },
    )
    store.update(lambda s: s.faults.append(orphan), durable=True)
    backend = JournalFaults()
    ledger, seen = make(tmp_path, backend)
    cleaned = ledger.recover()
    assert [f.id for f in cleaned] == ["abc"]
    assert backend.undone == ["x/1", "x/0"]  # newest change undone first
    assert ledger.active() == []
    assert [e.action for e in seen.of(FaultEvent)] == ["cleaned"]
    [notice] = seen.of(Notice)
    assert "Cleaned 1 orphaned fault" in notice.message and "pause on tm-1" in notice.message


def test_recover_leaves_faults_of_a_live_scaletui_alone(tmp_path: Path) -> None:
    import os

    from scaletui.chaos import procs

    store = SessionStore.open(tmp_path / "s")
    parent = os.getppid()
    alive = FaultRecord(
        id="live",
        kind="pause",
        targets=["tm-1"],
        started_at=1,
        expires_at=2,
        undo={"owner_pid": parent, "owner_start": procs.start_time(parent), "steps": []},
    )
    store.update(lambda s: s.faults.append(alive), durable=True)
    ledger, _ = make(tmp_path, JournalFaults())
    assert ledger.recover() == []
    assert [f.id for f in ledger.active()] == ["live"]
    assert ledger.close() == 0  # not ours to revert either
