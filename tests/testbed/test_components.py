"""The testbed capability components against the loopback K3S stand-in (tests/testbed/standin.py: an HTTP stand-in
of the Kubernetes API and Consul in front of real Flink processes, real local faults and a real VictoriaMetrics):
the workload job submitted and fed through the service proxy, metrics from local Flink's collector, every load
profile reaching the source with the produced rate measured, actuation with measured downtime, Chaos Mesh faults
through the ledger (and after a kill -9), Consul's latency matrix and PromQL node telemetry, all through the proxy.
Prints the figures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.chaos.chaosmesh import ChaosMeshFaults
from scaletui.chaos.ledger import ChaosLedger
from scaletui.cluster.kubernetes import KubernetesCluster, KubernetesSettings
from scaletui.cluster.kubernetes.load import RateServiceLoad, ReplicaLoad
from scaletui.config.models import JobSpec, LoadSpec, PlatformFile
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.errors import PlatformError
from scaletui.events import EventBus
from scaletui.latency.coordinates import ConsulLatency
from scaletui.metrics.victoria import VictoriaTelemetry
from scaletui.session.store import SessionStore
from scaletui.workload.profiles import ConstantProfile, build_profile
from tests.chaos.realenv import wait_for
from tests.testbed.conftest import root_only
from tests.testbed.standin import K3sStandin
from tests.testbed.test_standin import rtt

pytestmark = [pytest.mark.flink, pytest.mark.timeout(900)]
JOB = JobSpec(taskmanagers=1, cost_ms=0.5, window_s=1.0, keys=16)


@pytest.fixture(scope="module")
def cluster(standin: K3sStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubernetesCluster]:
    kubeconfig = standin.kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")
    kube = KubernetesCluster(KubernetesSettings(kubeconfig, "scaletui", rescale_timeout_s=120), EventBus()).connect()
    yield kube
    kube.close()


@pytest.fixture(scope="module")
def load(cluster: KubernetesCluster, standin: K3sStandin, workload_jar_path: Path) -> Iterator[RateServiceLoad]:
    feed = RateServiceLoad(cluster)
    feed.submit(workload_jar_path, JOB, 150.0, rate_url=f"{standin.rate_url}/rate")
    cluster.start_metrics()
    yield feed
    job_id = cluster.job_id()
    if job_id:
        cluster.rest.cancel(job_id)
    feed.close()


def produced_near(load: RateServiceLoad, rate: float, tolerance: float = 0.15) -> bool:
    got = load.produced()
    return got is not None and abs(got - rate) <= tolerance * rate


def test_metrics_through_the_proxy_are_local_flinks_collector(cluster: KubernetesCluster, load: RateServiceLoad):  # type: ignore[no-untyped-def]
    assert wait_for(lambda: produced_near(load, 150.0), timeout=90)
    sample = cluster.sample()
    assert not sample.stale and set(sample.operators) == {"source", "parse", "expensive", "window", "sink"}
    expensive = sample.operators["expensive"]
    assert expensive.records_in_per_s and expensive.busy_ms_per_s is not None
    assert expensive.backpressured_ms_per_s is not None
    assert wait_for(lambda: cluster.sample().latency_ms.get("p99") is not None, timeout=30)


def test_every_profile_reaches_the_source_and_the_produced_rate_is_measured(
    load: RateServiceLoad, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_text("t,rate\n0,120\n60,260\n")
    rows = []
    for params in ({"profile": "step", "rate": 150, "steps": [["0s", 300]]},
                   {"profile": "ramp", "start": 100, "end": 300, "duration": "10s"},
                   {"profile": "sine", "mean": 200, "amplitude": 100, "period": "20s"},
                   {"profile": "spike", "rate": 150, "peak": 350, "at": "0s", "duration": "30s"},
                   {"profile": "replay", "file": str(trace)}):  # fmt: skip
        profile = build_profile(LoadSpec.model_validate(params))
        began = time.monotonic()
        deadline = began + 60
        hit = False
        while time.monotonic() < deadline and not hit:
            wanted = profile.rate_at(time.monotonic() - began)
            load.set_rate(wanted)
            time.sleep(0.5)
            hit = load.rate() == pytest.approx(wanted) and produced_near(load, wanted, 0.2)
        rows.append(f"{params['profile']} {wanted:.0f}/s -> {load.produced() or 0:.0f}/s")
        assert hit, rows
    print("\nK8S LOAD: " + "; ".join(rows))


def test_actuation_sets_parallelism_and_taskmanagers_with_downtime_measured(
    cluster: KubernetesCluster, load: RateServiceLoad, standin: K3sStandin
) -> None:
    load.set_rate(150.0)
    assert wait_for(lambda: produced_near(load, 150.0), timeout=60)
    grow = cluster.set_taskmanagers(2)  # one slot per TaskManager pod: a second one for the second subtask
    assert grow.ok and standin.api.replicas("flink-taskmanager") == 2
    assert len([i for i in cluster.instances() if i.role == "taskmanager"]) == 2
    event = cluster.set_parallelism({"expensive": 2})
    job = cluster.job()
    assert event.ok and job is not None and job.parallelism["expensive"] == 2
    assert event.downtime_s is not None and event.downtime_s < 60
    cluster.set_parallelism({"expensive": 1})
    shrink = cluster.set_taskmanagers(1)
    took = [(e.ended or 0) - e.started for e in (event, grow, shrink)]
    print(f"\nK8S ACTUATION: parallelism 1->2 in {took[0]:.1f} s, downtime {event.downtime_s:.1f} s; "
          f"TaskManagers 1->2 in {took[1]:.1f} s (downtime {grow.downtime_s}), "
          f"2->1 in {took[2]:.1f} s (downtime {shrink.downtime_s})")  # fmt: skip


def test_replica_load_is_quantised_and_says_so(cluster: KubernetesCluster, standin: K3sStandin) -> None:
    standin.api.add_deployment("loadgen", "scaletui", {"app": "loadgen"}, 1)
    gen = ReplicaLoad(cluster, per_replica=10_000)
    gen.set_rate(34_000)
    assert standin.api.replicas("loadgen") == 3 and cluster.target_rate == 30_000
    assert "3 generator replica(s) x 10000 records/s = 30000 records/s (quantised" in gen.describe()


def test_the_application_source_attaches_to_its_job_and_drives_its_generator(
    cluster: KubernetesCluster, load: RateServiceLoad, standin: K3sStandin
) -> None:
    """`[job] source = "application"`: the testbed set attaches to the job that runs (here the module's workload job
    stands in for the application stage's) and drives the Theodolite generator's replicas, its per-replica rate read
    from the generator Deployment's own settings; the job is never cancelled from scaletui."""
    from scaletui.engine.testbed_set import open_testbed
    from tests.plugins.flink import flink_cache

    standin.api.add_deployment("loadgen", "scaletui", {"app": "loadgen"}, 1)
    container = standin.api.deployments["loadgen"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "NUM_SENSORS", "value": "10000"}, {"name": "PERIOD_MS", "value": "1000"}]
    running = cluster.job()
    assert running is not None
    spec = JobSpec(source="application")
    platform = PlatformFile.model_validate({"platform": {"name": "testbed", "type": "Static"}})
    kubeconfig = Path(cluster.settings.kubeconfig)
    caps = open_testbed(platform, spec, kubeconfig, EventBus(), flink_cache(), threading.Event())
    try:
        assert caps.require_job().submit(spec, 0.0, threading.Event()).job_id == running.job_id
        caps.require_load().set_profile(ConstantProfile(34_000.0), time.time())
        assert standin.api.replicas("loadgen") == 3
        assert "3 generator replica(s) x 10000 records/s" in caps.require_load().how
        with pytest.raises(PlatformError, match="belongs to the application stage"):
            caps.require_job().cancel()
    finally:
        caps.close(stop_cluster=True)
    still = cluster.job()
    assert still is not None and still.job_id == running.job_id


def test_consul_matrix_and_node_telemetry_through_the_proxy(cluster: KubernetesCluster) -> None:
    matrix = ConsulLatency.over(cluster.service_http("consul", "consul-server", 8500)).matrix()
    assert matrix.nodes == ("worker-1", "worker-2", "worker-3") and matrix.get("worker-1", "worker-2") is not None
    telemetry = VictoriaTelemetry(cluster.service_http("metrics", "victoria-metrics", 8428))
    assert wait_for(lambda: set(telemetry.nodes()) >= {"worker-1", "worker-2", "worker-3"}, timeout=60)


@root_only
def test_chaos_mesh_faults_through_the_ledger_are_enacted_and_reverted(
    cluster: KubernetesCluster, standin: K3sStandin, tmp_path: Path
) -> None:
    mesh = ChaosMeshFaults.from_kubeconfig(cluster.settings.kubeconfig, "scaletui", instances=cluster.instances)
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")), EventBus(), [mesh], instances=cluster.instances
    ).start()
    try:
        tm = next(i for i in standin.flink.instances() if i.role == "taskmanager")
        base = rtt(tm.pid)  # type: ignore[arg-type]
        fault = ledger.fire("delay", [tm.name], 60, {"latency_ms": 100})
        assert wait_for(lambda: rtt(tm.pid, 3) > base + 80, timeout=20)  # type: ignore[arg-type]
        assert ledger.revert(fault.id) and mesh.list() == []
        assert wait_for(lambda: rtt(tm.pid, 3) < base + 30, timeout=20)  # type: ignore[arg-type]
    finally:
        ledger.close()


DRIVER = """
import sys, time
from pathlib import Path
from scaletui.chaos.chaosmesh import ChaosMeshFaults
from scaletui.chaos.ledger import ChaosLedger
from scaletui.cluster.base import Instance
from scaletui.engine.reducer import SessionFaultJournal
from scaletui.events import EventBus
from scaletui.session.store import SessionStore
session, kubeconfig, pod = sys.argv[1:4]
pods = [Instance(name=pod, role="taskmanager", state="running")]
mesh = ChaosMeshFaults.from_kubeconfig(kubeconfig, "scaletui")
ledger = ChaosLedger(SessionFaultJournal(SessionStore.open(Path(session))), EventBus(), [mesh], instances=lambda: pods)
ledger.fire("delay", [pod], 600, {"latency_ms": 100})
print("fired", flush=True)
time.sleep(600)
"""


@root_only
def test_a_chaos_mesh_fault_is_reverted_after_kill_9(
    cluster: KubernetesCluster, standin: K3sStandin, tmp_path: Path
) -> None:
    tm = next(i for i in standin.flink.instances() if i.role == "taskmanager")
    base = rtt(tm.pid)  # type: ignore[arg-type]
    argv = [sys.executable, "-c", DRIVER, str(tmp_path / "s"), cluster.settings.kubeconfig, tm.name]
    driver = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert driver.stdout is not None and driver.stdout.readline().strip() == "fired"
    assert wait_for(lambda: rtt(tm.pid, 3) > base + 80, timeout=20)  # type: ignore[arg-type]
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait(timeout=10)
    mesh = ChaosMeshFaults.from_kubeconfig(cluster.settings.kubeconfig, "scaletui")
    assert len(mesh.list()) == 1  # the dead scaletui's resource is still there
    ledger = ChaosLedger(
        SessionFaultJournal(SessionStore.open(tmp_path / "s")), EventBus(), [mesh], instances=cluster.instances
    )
    assert [f.kind for f in ledger.recover()] == ["delay"]
    assert mesh.list() == [] and ledger.active() == []
    assert wait_for(lambda: rtt(tm.pid, 3) < base + 30, timeout=20)  # type: ignore[arg-type]
