"""The loopback K3S stand-in itself (tests/testbed/standin.py), driven through the official `kubernetes` client over
HTTP: no Kubernetes, Consul agent or Chaos Mesh can run here, so the API server and Consul's HTTP API are stand-ins
speaking their wire formats, while everything behind them is real: Flink processes, local faults, VictoriaMetrics.
Prints the figures (time to scale, the delay's measured effect, scrape-to-query lag)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from scaletui.chaos import procs
from scaletui.latency.probe import connect_rtt_ms
from scaletui.metrics.victoria import VictoriaTelemetry
from tests.chaos.realenv import wait_for
from tests.testbed.conftest import root_only
from tests.testbed.standin import K3sStandin

pytestmark = [pytest.mark.flink, pytest.mark.timeout(900)]
GROUP, VERSION, NS = "chaos-mesh.org", "v1alpha1", "scaletui"


@pytest.fixture
def k8s(standin: K3sStandin, tmp_path: Path) -> Any:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=standin.kubeconfig(tmp_path / "kubeconfig"))
    yield client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)
    api.close()


def rtt(pid: int, n: int = 5) -> float:
    port = procs.tcp_ports(pid, listening_only=True)[0]
    values = [v for _ in range(n) if (v := connect_rtt_ms("127.0.0.1", port, timeout=5)) is not None]
    return statistics.median(values)


def delay(name: str, pods: list[str], latency: str, duration: str) -> dict[str, Any]:
    spec = {"action": "delay", "mode": "all", "selector": {"pods": {NS: pods}}, "direction": "to",
            "delay": {"latency": latency, "jitter": "0ms", "correlation": "0"}, "duration": duration}  # fmt: skip
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "NetworkChaos", "metadata": {"name": name, "namespace": NS},
            "spec": spec}  # fmt: skip


def taskmanagers(standin: K3sStandin) -> list[Any]:
    return [i for i in standin.flink.instances() if i.role == "taskmanager"]


def test_scaling_the_taskmanager_deployment_starts_and_stops_real_processes(standin: K3sStandin, k8s: Any) -> None:
    core, apps, _ = k8s
    overview = f"{standin.api.url}/api/v1/namespaces/{NS}/services/flink-rest:8081/proxy/overview"
    start = time.monotonic()
    apps.patch_namespaced_deployment_scale("flink-taskmanager", NS, {"spec": {"replicas": 2}})

    def ready() -> int:
        pods = core.list_namespaced_pod(NS, label_selector="component=taskmanager").items
        return sum(1 for p in pods if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or []))

    assert wait_for(lambda: ready() == 2 and httpx.get(overview).json()["taskmanagers"] == 2, timeout=240)
    up = time.monotonic() - start
    pids = {i.pid for i in taskmanagers(standin)}
    assert len(pids) == 2 and all(procs.run_state(p) not in (None, "Z") for p in pids)  # type: ignore[arg-type]
    assert apps.read_namespaced_deployment("flink-taskmanager", NS).status.ready_replicas == 2
    start = time.monotonic()
    apps.patch_namespaced_deployment_scale("flink-taskmanager", NS, {"spec": {"replicas": 1}})
    assert wait_for(lambda: ready() == 1 and len(taskmanagers(standin)) == 1, timeout=120)
    down = time.monotonic() - start
    gone = pids - {i.pid for i in taskmanagers(standin)}
    assert len(gone) == 1 and wait_for(lambda: procs.run_state(gone.pop()) in (None, "Z"), timeout=30)
    print(f"\nSTAND-IN SCALE: 1->2 TaskManagers ready and registered in {up:.1f} s, 2->1 in {down:.1f} s")


def test_the_service_proxy_reaches_the_real_flink_rest_api(standin: K3sStandin) -> None:
    proxied = httpx.get(f"{standin.api.url}/api/v1/namespaces/{NS}/services/flink-rest:8081/proxy/config").json()
    direct = httpx.get(f"{standin.flink.cluster.rest_url}/config").json()
    assert proxied == direct and proxied["flink-version"] == "2.3.0"


@root_only
def test_a_network_delay_is_enacted_on_real_processes_lifted_on_delete_and_on_expiry(
    standin: K3sStandin, k8s: Any
) -> None:
    _, _, custom = k8s
    tm = taskmanagers(standin)[0]
    agent = next(p for p in standin.consul.pods() if p.node == tm.node)
    base, consul_before = rtt(tm.pid), heights(standin)[tm.node]
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", delay("d1", [tm.name], "100ms", "60s"))
    custom.create_namespaced_custom_object(  # Consul sees what its agent on that node sees, as in Scalehub
        GROUP, VERSION, NS, "networkchaos", delay("d1-consul", [agent.name], "100ms", "60s")
    )
    assert wait_for(lambda: rtt(tm.pid, 3) > base + 80, timeout=20)
    during, consul_during = rtt(tm.pid), heights(standin)[tm.node]
    assert consul_during > consul_before + 0.08
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", "d1")
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", "d1-consul")
    assert wait_for(lambda: rtt(tm.pid, 3) < base + 30, timeout=20)
    assert heights(standin)[tm.node] < consul_before + 0.03
    created = time.monotonic()
    custom.create_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", delay("d2", [tm.name], "100ms", "2s"))
    assert wait_for(lambda: rtt(tm.pid, 3) > base + 80, timeout=20)
    assert wait_for(lambda: rtt(tm.pid, 3) < base + 30, timeout=20)
    expired = time.monotonic() - created
    assert custom.get_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", "d2")  # kept, as Chaos Mesh does
    custom.delete_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", "d2")
    print(f"\nSTAND-IN DELAY: connect RTT to {tm.name} {base:.2f} -> {during:.1f} ms under a 100 ms NetworkChaos; "
          f"Consul height of {tm.node} {consul_before * 1000:.2f} -> {consul_during * 1000:.1f} ms; "
          f"a 2 s resource lifted {expired:.1f} s after creation")  # fmt: skip


def heights(standin: K3sStandin) -> dict[str, float]:
    proxy = f"{standin.api.url}/api/v1/namespaces/consul/services/consul-server:8500/proxy"
    nodes = httpx.get(f"{proxy}/v1/coordinate/nodes", timeout=30)
    return {n["Node"]: n["Coord"]["Height"] for n in nodes.json()}


def test_admission_refuses_what_chaos_mesh_would_and_nothing_is_enacted(standin: K3sStandin, k8s: Any) -> None:
    from kubernetes.client.exceptions import ApiException

    _, _, custom = k8s
    doc = delay("bad-rate", [taskmanagers(standin)[0].name], "10ms", "10s")
    doc["spec"] |= {"action": "bandwidth", "bandwidth": {"rate": "1.5mbit", "limit": 100, "buffer": 100}}
    enacted = len(standin.chaos.history)
    with pytest.raises(ApiException) as e:
        custom.create_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", doc)
    assert e.value.status == 400 and "admission webhook" in str(e.value.body)
    doc = delay("bad-latency", [taskmanagers(standin)[0].name], "1e-05ms", "10s")
    with pytest.raises(ApiException) as e:
        custom.create_namespaced_custom_object(GROUP, VERSION, NS, "networkchaos", doc)
    assert e.value.status == 422
    assert len(standin.chaos.history) == enacted


def test_victoria_metrics_returns_node_and_flink_series_by_promql(standin: K3sStandin) -> None:
    vm = VictoriaTelemetry(standin.victoria.url)
    try:
        assert wait_for(lambda: set(vm.nodes()) >= {"worker-1", "worker-2", "worker-3"}, timeout=60)
        assert wait_for(lambda: all(n.cpu_cores is not None for n in vm.nodes().values()), timeout=60)
        node = vm.nodes()["worker-1"]
        assert node.cpu_total and node.cpu_total >= 1 and node.memory_total and node.memory_bytes
        assert 0 <= node.cpu_cores <= node.cpu_total  # type: ignore[operator]
        assert wait_for(lambda: vm.query("flink_taskmanager_Status_JVM_CPU_Load"), timeout=60)
        pods = {labels["pod"] for labels, _ in vm.query("flink_taskmanager_Status_JVM_CPU_Load")}
        assert pods <= {i.name for i in taskmanagers(standin)} | {p for p in standin.api.pods}
        lag = vm.scrape_lag_s()
        assert lag is not None and lag < 10
        print(f"\nSTAND-IN METRICS: newest node-exporter sample seen by a query {lag:.1f} s after it was scraped")
    finally:
        vm.close()


def test_the_api_server_can_go_away_and_come_back_on_the_same_port(standin: K3sStandin, k8s: Any) -> None:
    core, _, _ = k8s
    port = standin.api.port
    standin.api.stop()
    with pytest.raises(Exception):  # noqa: B017 - connection refused, whatever urllib3 calls it
        core.list_namespaced_pod(NS, _request_timeout=2)
    standin.api.start()
    assert standin.api.port == port
    assert {p.metadata.name for p in core.list_namespaced_pod(NS).items} >= {i.name for i in taskmanagers(standin)}
