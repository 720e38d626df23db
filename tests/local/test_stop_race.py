"""A TaskManager launch that comes after the cluster's stop began is refused, not left running.

A stopped run waits at most a minute for the actuation under way, then stops the cluster under it (review 38 F8):
an actuation adding a TaskManager could launch its JVM after `stop` had listed the processes to stop, and that JVM
outlived the cluster. Here the launch is held while Flink sizes the TaskManager's memory (before the cluster's lock
is taken) until the stop has run; the JobManager is a stand-in process of ours, the TaskManager a real Flink JVM.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from scaletui.errors import PlatformError
from scaletui.flink import processes as procs
from scaletui.flink.cluster_config import ClusterSettings, flink_conf, write_conf_dir
from scaletui.flink.install import FlinkHome
from scaletui.flink.jvm_command import MemorySizing
from scaletui.flink.standalone import JOBMANAGER, LocalFlinkCluster

pytestmark = [pytest.mark.flink, pytest.mark.timeout(300)]


def ours(conf_dir: Path) -> list[int]:
    found = subprocess.run(["pgrep", "-f", str(conf_dir)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def test_a_taskmanager_launched_while_the_cluster_stops_is_refused(flink_home: FlinkHome, tmp_path: Path) -> None:
    cluster = LocalFlinkCluster(flink_home, tmp_path / "cluster", ClusterSettings())
    write_conf_dir(flink_home.path, cluster.layout, flink_conf(cluster.layout, 18083, 16125, cluster.settings))
    stand_in = subprocess.Popen(["sleep", "300", str(cluster.layout.conf)], start_new_session=True)
    cluster._procs[JOBMANAGER] = procs.FlinkProcess(JOBMANAGER, "jobmanager", stand_in.pid, popen=stand_in)
    building, stopped = threading.Event(), threading.Event()
    size = cluster._commands.sizing

    def held(role: str, dynamic: dict[str, str]) -> MemorySizing:
        building.set()
        assert stopped.wait(120), "the stop did not run"
        return size(role, dynamic)

    cluster._commands.sizing = held  # type: ignore[method-assign]
    outcome: list[object] = []
    adding = threading.Thread(target=lambda: outcome.append(_add(cluster)))
    adding.start()
    try:
        assert building.wait(120), "the TaskManager's launch never began"
        cluster.stop(grace_s=5)
        stopped.set()
        adding.join(180)
        assert not adding.is_alive()
        (result,) = outcome
        assert isinstance(result, PlatformError) and "is stopping" in result.message, result
        assert cluster.processes() == []
        deadline = time.monotonic() + 30
        while ours(cluster.layout.conf) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ours(cluster.layout.conf) == [], "a process of the stopped cluster still runs"
    finally:
        stopped.set()
        for pid in ours(cluster.layout.conf):
            subprocess.run(["kill", "-9", str(pid)], check=False)


def _add(cluster: LocalFlinkCluster) -> object:
    try:
        return cluster.add_taskmanager(wait=False)
    except PlatformError as e:
        return e
