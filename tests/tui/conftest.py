"""Fixtures of the TUI tests: an engine whose session has the simulator reserved, so `s` starts a simulated
cluster (the same engine calls as local Flink, in seconds)."""

from __future__ import annotations

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.session.model import Node, Reservation


@pytest.fixture
def sim_engine(app_config: AppConfig):
    engine = Engine(app_config, "live")
    engine.store.update(
        lambda s: s.reservations.append(
            Reservation(
                platform="simulator",
                type="simulator",
                state="running",
                nodes=[Node(name="sim", address="127.0.0.1", role="worker")],
            )
        )
    )
    yield engine
    engine.close()
