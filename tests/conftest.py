"""Shared fixtures: an isolated scaletui home per test, an engine on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from scaletui.config.models import AppConfig, Paths

pytest_plugins = ["tests.plugins.flink"]

PLATFORM_FIXTURES = frozenset({"flink_home", "workload_jar_path", "flink_cluster", "flink_job", "standin"})
MACHINE_WIDE_DIRS = frozenset({"chaos", "local", "testbed", "latency"})
"""Test areas that change or scan the whole machine: faults on processes and namespaces, then checks that no marked
process, namespace, rule or port is left, which another test's live ones would fail."""
MACHINE_WIDE_MODULES = frozenset({"test_no_color_tmux.py", "test_cancel_start.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With `-n 2 --dist loadgroup` (the suite's default) every test that runs real Flink, needs root, or changes or
    scans the machine as a whole goes to one worker, in order, sharing its session's cluster; the other worker takes
    the rest. Most of the platform tests wait on the wall clock (a 90 s run is 90 s), so the pure Python tests fit
    beside them on a 2-core machine; two Flink clusters, or one test's leak check beside another's live fault, would
    not."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if (item.get_closest_marker("flink") or item.get_closest_marker("root") or uses & PLATFORM_FIXTURES
                or item.path.parent.name in MACHINE_WIDE_DIRS or item.path.name in MACHINE_WIDE_MODULES):  # fmt: skip
            item.add_marker(pytest.mark.xdist_group("platform"))


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
