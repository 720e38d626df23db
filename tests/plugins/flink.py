"""pytest plugin: one real local Flink cluster per test session, shared by every test area that needs Flink.

Register with `pytest_plugins = ["tests.plugins.flink"]` in tests/conftest.py. Flink comes from FLINK_HOME or the
user's cache (SCALETUI_FLINK_CACHE, default ~/.cache/scaletui), downloaded once. The cluster has 2 TaskManagers x 2
slots on 127.0.0.1; at the end every process is stopped and the test session fails loudly if one or a port is left.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.config.models import JobSpec
from scaletui.events import EventBus
from scaletui.flink.cluster_config import ClusterSettings, port_is_free
from scaletui.flink.install import FlinkHome, FlinkInstall
from scaletui.flink.processes import pid_alive
from scaletui.workload.jobjar import workload_jar

TASKMANAGERS = 2
SLOTS = 2
# A cheap job so tests are not limited by CPU on a shared 2-core machine; rates well under capacity.
TEST_JOB = JobSpec(taskmanagers=TASKMANAGERS, cost_ms=0.5, window_s=1.0, keys=16)
TEST_RATE = 150.0

# Shared across fixture registrations (the plugin may be both registered and imported by a conftest).
_SHARED: dict[str, object] = {}


def flink_cache() -> Path:
    return Path(os.environ.get("SCALETUI_FLINK_CACHE", "~/.cache/scaletui")).expanduser()


@pytest.fixture(scope="session")
def flink_home() -> FlinkHome:
    """Flink (FLINK_HOME or the cached registry download) and the Java that runs it."""
    return FlinkInstall(flink_cache()).ensure()


@pytest.fixture(scope="session")
def workload_jar_path(flink_home: FlinkHome) -> Path:
    return workload_jar(flink_home, flink_cache())


@pytest.fixture(scope="session")
def flink_cluster(
    flink_home: FlinkHome, workload_jar_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalClusterBackend]:
    """A started LocalClusterBackend (2 TaskManagers x 2 slots), torn down after the last test that uses it (the
    platform session runs them together: tests/conftest.py) leaving nothing behind."""
    if "backend" in _SHARED:
        yield _SHARED["backend"]  # type: ignore[misc]
        return
    session_dir = tmp_path_factory.mktemp("flink-session")
    backend = LocalClusterBackend.create(
        flink_cache(), session_dir, EventBus(), settings=ClusterSettings(slots_per_taskmanager=SLOTS)
    )
    backend.start(TASKMANAGERS)
    _SHARED["backend"] = backend
    try:
        yield backend
    finally:
        release_shared_cluster()


def release_shared_cluster() -> None:
    """Stop the shared cluster, if one runs, and fail loudly if it left a process or a port: called after the last
    test that uses it, so its idle JVMs do not take a loaded machine's CPU from the tests after it."""
    backend = _SHARED.pop("backend", None)
    if not isinstance(backend, LocalClusterBackend):
        return
    pids = [p.pid for p in backend.cluster.processes()]
    ports = [backend.cluster.rest_port, backend.cluster.rpc_port]
    backend.stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.1)
    left = [p for p in pids if pid_alive(p)]
    busy = [p for p in ports if p is not None and not port_is_free(p)]
    assert not left and not busy, f"Flink left processes {left} or ports {busy} behind"


@pytest.fixture
def flink_job(flink_cluster: LocalClusterBackend) -> Iterator[LocalClusterBackend]:
    """The shared cluster with a fresh workload job at TEST_RATE; cancelled and the cluster reset afterwards."""
    backend = flink_cluster
    if backend.job() is not None:
        backend.cancel_job()
    backend.submit_job(TEST_JOB, rate=TEST_RATE)
    try:
        yield backend
    finally:
        backend.cancel_job()
        if len(backend.cluster.taskmanager_names()) != TASKMANAGERS:
            backend.set_taskmanagers(TASKMANAGERS)
