"""Fixtures of the TUI tests: an engine whose session has the simulator reserved, so `s` starts a simulated
cluster (the same engine calls as local Flink, in seconds), at the wall clock's pace or twenty times faster."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.config.models import AppConfig
from scaletui.engine import Engine
from scaletui.session.model import Node, Reservation


@pytest.fixture
def sim_engine(app_config: AppConfig) -> Iterator[Engine]:
    yield from _simulator_session(app_config)


@pytest.fixture
def fast_sim_engine(app_config: AppConfig, tmp_path: Path) -> Iterator[Engine]:
    """The simulator at 20 simulated seconds per real second: a TaskManager start or a rescale's downtime passes in
    a fraction of a second, for tests of what keys do rather than of how long work shows."""
    conf = tmp_path / "conf-fast"
    shutil.copytree(app_config.paths.conf, conf)
    sim = conf / "platforms" / "simulator.toml"
    sim.write_text(sim.read_text().replace("live_speed = 1.0", "live_speed = 20.0"))
    yield from _simulator_session(
        app_config.model_copy(update={"paths": app_config.paths.model_copy(update={"conf": str(conf)})})
    )


def _simulator_session(app_config: AppConfig) -> Iterator[Engine]:
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
