"""Shared fixtures: an isolated scaletui home per test, an engine on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from scaletui.config.models import AppConfig, Paths

pytest_plugins = ["tests.plugins.flink"]

settings.register_profile("loaded", deadline=None)
settings.load_profile("loaded")
"""No per-example deadline in any property test: on a loaded 2-core machine one example took 305 ms against
Hypothesis's default 200 ms (tests/foundation/test_session_store.py failed so). Speed is for benchmarks/."""


@pytest.fixture
def app_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppConfig:
    """App settings whose sessions, cache and results live under the test's tmp dir."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("SCALETUI_THEME", raising=False)
    return AppConfig(
        paths=Paths(
            sessions=str(tmp_path / "sessions"),
            results=str(tmp_path / "results"),
            cache=str(tmp_path / "cache"),
            conf=str(Path(__file__).parent.parent / "conf"),
        )
    )


@pytest.fixture
def engine(app_config: AppConfig):
    from scaletui.engine import Engine

    eng = Engine(app_config, "test")
    yield eng
    eng.close()
