"""The local cluster itself, on real Flink processes bound to 127.0.0.1."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from scaletui.cluster.standalone.backend import LocalClusterBackend
from scaletui.errors import PlatformError
from scaletui.events import ClusterChanged
from scaletui.flink.cluster_config import ClusterSettings, port_is_free
from scaletui.flink.install import FlinkHome
from scaletui.flink.processes import pid_alive
from scaletui.flink.standalone import LocalFlinkCluster
from scaletui.session.store import SessionStore
from tests.recording import recorded

# 600 s: the first test here also pays for the shared cluster (and, on a fresh machine, the Flink download).
pytestmark = [pytest.mark.flink, pytest.mark.timeout(600)]


def wait_until(condition, timeout_s: float, step_s: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step_s)
    return bool(condition())


def test_cluster_runs_jobmanager_and_two_taskmanagers(flink_cluster: LocalClusterBackend) -> None:
    def all_running() -> bool:
        return all(i.state == "running" and i.pid and pid_alive(i.pid) for i in flink_cluster.instances())

    assert wait_until(all_running, 20), flink_cluster.instances()
    instances = {i.name: i for i in flink_cluster.instances()}
    assert set(instances) >= {"jobmanager", "taskmanager-1", "taskmanager-2"}
    assert instances["taskmanager-1"].slots_total == 2
    overview = flink_cluster.cluster.rest.overview()
    assert overview["taskmanagers"] == 2 and overview["slots-total"] == 4
    assert flink_cluster.cluster.rest_url.startswith("http://127.0.0.1:")
    config = {c["key"]: c["value"] for c in flink_cluster.cluster.rest.get("/jobmanager/config")}
    assert config["jobmanager.scheduler"] == "adaptive" and config["rest.bind-address"] == "127.0.0.1"


def test_a_second_scaletui_finds_the_running_cluster(flink_cluster: LocalClusterBackend) -> None:
    """As after a crash: a fresh object on the same directory sees the processes and adopts them, stopping nothing."""
    other = LocalFlinkCluster(flink_cluster.cluster.home, flink_cluster.cluster.layout.root)
    assert {p.name for p in other.leftovers()} == {p.name for p in flink_cluster.cluster.processes()}
    found = other.recover("adopt")
    assert set(found.adopted) == {p.name for p in flink_cluster.cluster.processes()}
    assert other.rest_url == flink_cluster.cluster.rest_url and other.rest.answers()


def test_a_restarted_scaletui_adopts_cluster_and_job(flink_job: LocalClusterBackend) -> None:
    """A second backend on the same session directory adopts the processes, the running job and its target rate."""
    other = LocalClusterBackend(LocalFlinkCluster(flink_job.cluster.home, flink_job.cluster.layout.root), "~/.cache")
    try:
        found = other.recover("adopt")
        assert "jobmanager" in found.adopted and not found.stopped
        assert other.job_id == flink_job.job_id and other.target_rate == flink_job.target_rate
        job = other.job()
        assert job is not None and job.parallelism == flink_job.job().parallelism  # type: ignore[union-attr]
    finally:
        other.detach()
    assert all(pid_alive(p.pid) for p in flink_job.cluster.processes())


def test_the_local_platform_opened_over_a_cluster_left_running_says_it_adopted_it(
    flink_cluster: LocalClusterBackend,
) -> None:
    """The Pods pane's `adopt` answer after a crash: the set says it took the cluster over, so the app reads
    "Cluster on local adopted", not "started" over a notice that said it adopted one."""
    import threading

    from scaletui.config.loader import load_platform
    from scaletui.config.models import JobSpec
    from scaletui.engine.local_set import open_local
    from scaletui.events import EventBus
    from tests.plugins.flink import flink_cache

    said: list[str] = []
    platform = load_platform(Path(__file__).parents[2] / "conf" / "platforms" / "local.toml")
    session_dir = flink_cluster.cluster.layout.root.parent
    pids = {p.name: p.pid for p in flink_cluster.cluster.processes()}
    caps = open_local(platform, JobSpec(), EventBus(), session_dir, flink_cache(), (), threading.Event(), "adopt",
                      said.append)  # fmt: skip
    try:
        assert caps.adopted, said
        assert said == [f"Adopted the Flink cluster left running: {', '.join(pids)}."], said
    finally:
        caps.close(False)
    assert {p.name: p.pid for p in flink_cluster.cluster.processes()} == pids and all(map(pid_alive, pids.values()))


def test_busy_rest_port_is_refused_before_anything_starts(flink_home: FlinkHome, tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        cluster = LocalFlinkCluster(flink_home, tmp_path / "flink", ClusterSettings(rest_port=port))
        with pytest.raises(PlatformError, match=f"Port {port} .* is already in use"):
            cluster.start(1)
    assert cluster.processes() == []


def test_kill_9_of_a_taskmanager_is_reported_and_restarted(flink_job: LocalClusterBackend) -> None:
    backend = flink_job
    events: list[ClusterChanged] = []
    unsubscribe = backend.bus.subscribe(lambda e: events.append(e), ClusterChanged)  # type: ignore[arg-type, return-value]
    try:
        pid = backend.cluster.kill("taskmanager-2")
        assert not pid_alive(pid)
        assert wait_until(lambda: any(e.message == "taskmanager-2 died" for e in events), 10)
        assert wait_until(lambda: any(e.message == "taskmanager-2 restarted" for e in events), 90)
        tm = next(i for i in backend.instances() if i.name == "taskmanager-2")
        assert tm.state == "running" and tm.restarts >= 1 and tm.pid != pid
        assert wait_until(lambda: backend.cluster.rest.overview()["taskmanagers"] == 2, 30)
        job = backend.job()
        assert job is not None and wait_until(lambda: backend.cluster.rest.job(job.job_id)["state"] == "RUNNING", 60)
        assert wait_until(lambda: not backend.sample().stale and backend.sample().achieved_rate is not None, 60)
    finally:
        unsubscribe()


def test_crash_then_stop_leaves_no_process_or_port(flink_home: FlinkHome, tmp_path: Path) -> None:
    """Start a cluster, 'crash' (drop it without stopping, before the session file caught up), then a new scaletui
    stops what it left: the pid files alone find every process; the session is told they are gone."""
    store = SessionStore.open(tmp_path / "session", "crash")
    first = LocalFlinkCluster(flink_home, tmp_path / "session" / "flink", bus=recorded(store))
    first.start(1)
    pids = [p.pid for p in first.processes()]
    ports = [first.rest_port, first.rpc_port]
    assert len(store.session.cluster.processes) == 2
    second = LocalFlinkCluster(flink_home, tmp_path / "session" / "flink", bus=recorded(store))
    found = second.recover("stop")
    assert set(found.stopped) == {"jobmanager", "taskmanager-1"}
    assert not any(pid_alive(p) for p in pids)
    assert all(port_is_free(p) for p in ports if p is not None)
    assert store.session.cluster.processes == []
    assert not list((tmp_path / "session" / "flink" / "pids").glob("*.json"))


def test_add_and_remove_a_taskmanager(flink_job: LocalClusterBackend) -> None:
    grow = flink_job.set_taskmanagers(3)
    assert grow.kind == "taskmanagers" and grow.before == 2 and grow.after == 3 and grow.ended is not None
    assert grow.downtime_s == 0.0, "a new TaskManager with no rescale pending does not restart the job"
    overview = flink_job.cluster.rest.overview()
    assert overview["taskmanagers"] == 3 and overview["slots-total"] == 6
    assert [i.name for i in flink_job.instances() if i.role == "taskmanager"][-1] == "taskmanager-3"
    shrink = flink_job.set_taskmanagers(2)
    assert shrink.after == 2 and flink_job.cluster.taskmanager_names() == ["taskmanager-1", "taskmanager-2"]
    assert wait_until(lambda: flink_job.cluster.rest.overview()["taskmanagers"] == 2, 30)


def test_a_taskmanager_added_before_any_job_is_in_effect_once_registered(flink_cluster: LocalClusterBackend) -> None:
    """A TaskManager added before the job is submitted (+ in Pods, a live session's first minute) once held the run
    loop for the whole downtime deadline (60 s), waiting for a source rate no job produces."""
    if flink_cluster.job() is not None:
        flink_cluster.cancel_job()
    try:
        grow = flink_cluster.set_taskmanagers(3)
        assert (grow.before, grow.after, grow.ok) == (2, 3, True)
        assert (grow.downtime_s, grow.message) == (0.0, "done; no job runs, so none was interrupted")
    finally:
        flink_cluster.set_taskmanagers(2)
    assert flink_cluster.cluster.taskmanager_names() == ["taskmanager-1", "taskmanager-2"]


def test_a_dead_jobmanager_is_started_again_and_the_taskmanagers_join_it(flink_home: FlinkHome, tmp_path: Path) -> None:
    """A killed JobManager stayed dead: the TaskManagers hung unregistered and the screen invited j, which failed on
    the REST port. It now starts again on its ports; the TaskManager killed with it is restarted after it (restarts
    against a dead JobManager failed and left orphans that joined the next cluster), the live one registers again by
    itself, and the job is reported lost. A cluster of its own here: the shared one must live on."""
    from scaletui.events import ErrorEvent, EventBus
    from tests.plugins.flink import flink_cache

    bus = EventBus()
    said: list[object] = []
    bus.subscribe(said.append)
    backend = LocalClusterBackend.create(flink_cache(), tmp_path / "session", bus, settings=ClusterSettings())
    backend.start(2)
    try:
        port, old_pid = backend.cluster.rest_port, backend.cluster.process("jobmanager").pid
        backend.cluster.kill("taskmanager-1")
        backend.cluster.kill("jobmanager")
        assert wait_until(lambda: any(isinstance(e, ErrorEvent) and "JobManager died" in e.message for e in said), 30)
        error = next(e for e in said if isinstance(e, ErrorEvent) and "JobManager died" in e.message)
        assert "submit it again with j" in error.hint  # type: ignore[attr-defined]

        def registered() -> set[str]:
            try:
                return set(backend.cluster.registered())
            except PlatformError:
                return set()

        def restarts() -> list[str]:  # said once the restarted TaskManager's registration was seen
            return [e.message for e in said if isinstance(e, ClusterChanged) and e.message.endswith("restarted")]

        assert wait_until(lambda: len(restarts()) == 2, 180), restarts()
        assert restarts() == ["jobmanager restarted", "taskmanager-1 restarted"]
        assert wait_until(lambda: registered() == {"taskmanager-1", "taskmanager-2"}, 180), registered()
        assert backend.cluster.rest_port == port and backend.cluster.process("jobmanager").pid != old_pid
        assert pid_alive(backend.cluster.process("jobmanager").pid)
    finally:
        backend.stop()
