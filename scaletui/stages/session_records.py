"""Keep stage and application states in the session, so the Stages pane shows them again after a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from scaletui.session.model import AppRecord, Session, StageRecord
from scaletui.session.store import SessionStore
from scaletui.stages.catalog import app_version


def record_stage(store: SessionStore, key: str, **fields: Any) -> None:
    def change(session: Session) -> None:
        record = session.stages.get(key) or StageRecord()
        for name, value in fields.items():
            setattr(record, name, value)
        session.stages[key] = record

    store.update(change)


def record_app(store: SessionStore, playbooks: Path, app: str, outcome: str) -> None:
    """deploy/reload -> deployed (with the pinned version), delete -> deleted, anything else -> failed."""
    state = {"deploy": "deployed", "reload": "deployed", "delete": "deleted"}.get(outcome, "failed")
    version = app_version(playbooks, app)

    def change(session: Session) -> None:
        session.apps[app] = AppRecord(state=state, version=version, updated_at=time.time())  # type: ignore[arg-type]

    store.update(change)


def interrupted_runs(store: SessionStore) -> list[str]:
    """After a restart, stages still marked running were cut short: mark them cancelled and return their names."""
    stale = [key for key, record in store.session.stages.items() if record.state == "running"]
    if stale:

        def change(session: Session) -> None:
            for key in stale:
                session.stages[key].state = "cancelled"
                session.stages[key].message = "interrupted: scaletui stopped during the run"

        store.update(change)
    return stale
