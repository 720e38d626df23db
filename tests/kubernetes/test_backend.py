"""The Kubernetes backend against an HTTP-level fake API server on 127.0.0.1 (tests/fakes/k8s.py) that serves real
Kubernetes JSON, watch streams included, to the official client; Flink's REST API answers behind the fake's
service proxy."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scaletui.cluster.kubernetes import KubernetesCluster, KubernetesSettings
from scaletui.errors import PlatformError
from scaletui.events import ClusterChanged, ErrorEvent, Event, EventBus, Notice
from tests.fakes.flink_rest import FakeFlinkRest
from tests.fakes.k8s import FakeKubernetes
from tests.fakes.k8s_objects import make_pod

pytestmark = pytest.mark.timeout(60)


def wait_for(cond, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


def test_pods_by_selector_with_placement_readiness_and_restarts(cluster: KubernetesCluster) -> None:
    assert wait_for(lambda: cluster.connected)
    by_name = {i.name: i for i in cluster.instances()}
    assert set(by_name) == {"flink-jobmanager-0", "flink-taskmanager-a"}  # kafka-0 is outside the selector
    tm = by_name["flink-taskmanager-a"]
    assert (tm.role, tm.state, tm.node, tm.address, tm.restarts) == ("taskmanager", "running", "node-2", "10.42.1.3", 2)
    assert by_name["flink-jobmanager-0"].role == "jobmanager"


def test_watch_streams_changes(
    cluster: KubernetesCluster, fake: FakeKubernetes, events: tuple[EventBus, list[Event]]
) -> None:
    assert wait_for(lambda: cluster.connected)
    fake.put_pod(
        make_pod(
            "flink-taskmanager-b", labels={"app": "flink", "component": "taskmanager"}, phase="Pending", ready=False
        )
    )
    assert wait_for(lambda: any(p.name == "flink-taskmanager-b" and p.state == "starting" for p in cluster.pods()))
    fake.put_pod(make_pod("flink-taskmanager-b", labels={"app": "flink", "component": "taskmanager"}, restarts=1))
    assert wait_for(lambda: any(p.name == "flink-taskmanager-b" and p.state == "running" for p in cluster.pods()))
    fake.delete_pod("flink-taskmanager-a")
    assert wait_for(lambda: "flink-taskmanager-a" not in {p.name for p in cluster.pods()})
    changes = [e for e in events[1] if isinstance(e, ClusterChanged)]
    assert any("flink-taskmanager-b" in {i.name for i in e.instances} for e in changes)
    assert any("watch=True" in path or "watch=true" in path for _, path in fake.requests)


def test_logs_events_and_describe(cluster: KubernetesCluster, fake: FakeKubernetes) -> None:
    fake.logs["flink-taskmanager-a"] = "".join(f"line {n}\n" for n in range(500))
    fake.add_event("flink-taskmanager-a", "BackOff", "Back-off restarting failed container", kind="Warning")
    assert cluster.logs("flink-taskmanager-a", tail=3) == "line 497\nline 498\nline 499\n"
    events = cluster.events("flink-taskmanager-a")
    assert [(e.type, e.reason) for e in events] == [("Warning", "BackOff")]
    text = cluster.describe("flink-taskmanager-a")
    assert "Node:         node-2/192.168.0.10" in text
    assert "Restart Count:  2" in text
    assert "BackOff" in text and "component=taskmanager" in text
    with pytest.raises(PlatformError, match="404"):
        cluster.logs("nope")


def test_api_server_going_away_is_reported_and_reconnected(
    cluster: KubernetesCluster, fake: FakeKubernetes, events: tuple[EventBus, list[Event]]
) -> None:
    assert wait_for(lambda: cluster.connected)
    fake.stop()
    assert wait_for(lambda: not cluster.connected)
    errors = [e for e in events[1] if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "does not answer" in errors[0].message
    assert {i.name: i.state for i in cluster.instances()} == {
        "flink-jobmanager-0": "unknown",
        "flink-taskmanager-a": "unknown",
    }  # last known
    fake.put_pod(make_pod("flink-taskmanager-c", labels={"app": "flink", "component": "taskmanager"}))
    fake.start()
    assert wait_for(lambda: cluster.connected)
    assert wait_for(lambda: "flink-taskmanager-c" in {p.name for p in cluster.pods()})
    assert {i.state for i in cluster.instances()} == {"running"}
    assert any(isinstance(e, Notice) and "Reconnected" in e.message for e in events[1])
    assert len([e for e in events[1] if isinstance(e, ErrorEvent)]) == 1  # one report per outage, not per retry


def test_taskmanagers_scale_through_the_deployment(cluster: KubernetesCluster, fake: FakeKubernetes) -> None:
    def controller(name: str, replicas: int) -> None:
        for n in range(replicas):
            fake.put_pod(make_pod(f"flink-taskmanager-r{n}", labels={"app": "flink", "component": "taskmanager"}))
        fake.delete_pod("flink-taskmanager-a")
        fake.proxy.taskmanagers = replicas  # type: ignore[union-attr]  # they register with the JobManager

    fake.on_scale = controller
    event = cluster.set_taskmanagers(3)
    assert fake.scales["flink-taskmanager"] == 3
    assert (event.kind, event.before, event.after, event.ok) == ("taskmanagers", 1, 3, True)
    # the job's tasks kept running (no restart): nothing to wait back for. It used to wait for the source to reach
    # 90 % of its target, which a saturated operator (why a TaskManager is added) does not, for up to 120 s
    assert (event.downtime_s, event.message) == (0.0, "done; the job kept running")


def test_taskmanagers_scaled_before_any_job_return_once_the_pods_register(
    cluster: KubernetesCluster, fake: FakeKubernetes
) -> None:
    """A testbed submission sets the TaskManager count first, before the job exists; that once waited the whole
    `rescale_timeout_s` (180 s on a testbed) for a source rate that no job produces."""
    flink = fake.proxy
    assert isinstance(flink, FakeFlinkRest)
    flink.running = False

    def controller(name: str, replicas: int) -> None:
        fake.put_pod(make_pod("flink-taskmanager-r1", labels={"app": "flink", "component": "taskmanager"}))
        flink.taskmanagers = replicas

    fake.on_scale = controller
    assert cluster.job() is None
    event = cluster.set_taskmanagers(2)
    assert (event.kind, event.before, event.after, event.ok) == ("taskmanagers", 1, 2, True)
    assert (event.downtime_s, event.message) == (0.0, "done; no job runs, so none was interrupted")


def test_job_and_parallelism_through_the_service_proxy(cluster: KubernetesCluster, fake: FakeKubernetes) -> None:
    flink = fake.proxy
    assert isinstance(flink, FakeFlinkRest)
    job = cluster.job()
    assert job is not None and job.parallelism == {"numbers": 1, "expensive": 2}  # named as on local Flink
    assert [(op.is_source, op.keyed_input) for op in job.operators] == [(True, False), (False, True)]
    event = cluster.set_parallelism({"expensive": 4})
    assert (event.before, event.after, event.ok) == ({"expensive": 2}, {"expensive": 4}, True)
    assert event.downtime_s is None  # this fake has no metrics: not measured, never assumed
    assert flink.puts[-1]["90bea66de1c231edf33913ecd54406c1"]["parallelism"]["upperBound"] == 4
    assert any("/services/flink-rest:8081/proxy/jobs/" in path for _, path in fake.requests)
    sample = cluster.sample()  # this fake serves no metrics (the stand-in's real Flink does: tests/testbed)
    assert sample.stale and sample.achieved_rate is None and not sample.operators  # missing, never 0


def test_missing_kubeconfig_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="does not exist") as err:
        KubernetesCluster(KubernetesSettings(kubeconfig=str(tmp_path / "none")), EventBus()).connect()
    assert err.value.hint


def test_importing_the_backend_does_not_import_the_client() -> None:
    import subprocess
    import sys

    code = "import sys, scaletui.cluster.kubernetes, scaletui.chaos.ledger; print('kubernetes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
