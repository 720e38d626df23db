"""One loopback K3S stand-in per test session, shared by the testbed tests (starting Flink costs ~30 s of a shared
2-core machine); at the end it is stopped and the session fails if it left anything behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scaletui.flink.install import FlinkHome
from tests.chaos.realenv import IS_ROOT
from tests.testbed.standin import K3sStandin

root_only = pytest.mark.skipif(not IS_ROOT, reason="the stand-in enacts network faults, which need root (CI is root)")
_SHARED: dict[str, K3sStandin] = {}


@pytest.fixture(scope="session")
def standin(flink_home: FlinkHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[K3sStandin]:
    if "standin" in _SHARED:
        yield _SHARED["standin"]
        return
    k3s = K3sStandin(flink_home, tmp_path_factory.mktemp("k3s-standin")).start(taskmanagers=1)
    _SHARED["standin"] = k3s
    try:
        yield k3s
    finally:
        _SHARED.pop("standin", None)
        k3s.stop()
        left = k3s.leftovers()
        assert not left, f"the K3S stand-in left {left} behind"
