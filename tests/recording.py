"""Test wiring of the engine's one session writer: a bus whose events the reducer records in a SessionStore, as in
the app, for tests that build the lower parts (reservation flow, stages runner, fault ledger) by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scaletui.engine.reducer import SessionFaultJournal, SessionReducer
from scaletui.engine.reservations import ReservationFlow
from scaletui.events import EventBus
from scaletui.session.store import SessionStore
from scaletui.stages.runner import StagesRunner


def recorded(store: SessionStore, bus: EventBus | None = None) -> EventBus:
    """`bus` (a new one by default) with the session reducer subscribed: what is published lands in `store`."""
    bus = bus or EventBus()
    SessionReducer(store, bus)
    return bus


def reservation_flow(
    store: SessionStore, conf_dir: Path | str = "conf", bus: EventBus | None = None
) -> ReservationFlow:
    return ReservationFlow(store, recorded(store, bus), conf_dir)


def stages_runner(store: SessionStore, bus: EventBus | None = None, **kwargs: Any) -> StagesRunner:
    return StagesRunner(store.directory, lambda: store.session.inventory_file, recorded(store, bus), **kwargs)


def journal(store: SessionStore) -> SessionFaultJournal:
    return SessionFaultJournal(store)
