from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.chaos.ledger import ChaosLedger
from scaletui.chaos.process_faults import LocalFaults
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import Event, EventBus
from scaletui.session.store import SessionStore
from tests.chaos.realenv import IS_ROOT, EchoInstance, new_sandbox, preexisting, start_echo

root_only = pytest.mark.skipif(not IS_ROOT, reason="local network faults need root (CI runs as root)")


@pytest.fixture(scope="session", autouse=True)
def _host_leftovers_before() -> None:
    """Remember the host's fault leftovers before the first chaos test, so the leak checks see only their own."""
    if IS_ROOT and (found := preexisting()):
        warnings.warn(f"fault leftovers on this host from an earlier run, not counted as leaks: {found}", stacklevel=1)


class Recorder:
    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        bus.subscribe(self.events.append)

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore.open(tmp_path / "session")


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)


@pytest.fixture
def echo() -> Iterator[EchoInstance]:
    sandbox = new_sandbox()
    server = start_echo(sandbox)
    server.sandbox = sandbox  # type: ignore[attr-defined]
    yield server
    server.stop()
    sandbox.delete()


@pytest.fixture
def ledger(store: SessionStore, bus: EventBus, echo: EchoInstance) -> Iterator[ChaosLedger]:
    led = ChaosLedger(SessionFaultJournal(store), bus, [LocalFaults()], instances=lambda: [echo.instance]).start()
    yield led
    led.close()
