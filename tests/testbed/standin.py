"""A loopback stand-in of a K3S testbed, for the tests (not the product): what scaletui reaches on a testbed, with
insides as real as one machine allows.

- the Kubernetes API over HTTP (apiserver.py): pods, deployments and their scale, services and the service proxy,
  pod watches, events, the chaos-mesh.org resources with Chaos Mesh's admission rules;
- Flink's pods are real JobManager and TaskManager processes (flink_pods.py); scaling the TaskManager Deployment
  starts and stops them; the proxy reaches their real REST API;
- Chaos Mesh resources are enacted as real local faults on the pods' processes (chaos_enactor.py);
- Consul's coordinates are measured from real agent processes (consul_agents.py);
- a real VictoriaMetrics scrapes the Flink reporters and a real node exporter (victoria.py).

`outage(seconds)` stops the API server and serves the same state on the same port again (watches dropped);
`leftovers()` lists anything the stand-in would leave behind (a test session asserts it is empty).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from scaletui.chaos import netfilter, procs, tc
from scaletui.chaos.netns import NetnsRef
from scaletui.cluster.base import Instance
from scaletui.flink.install import FlinkHome
from scaletui.flink.processes import pid_alive
from tests.testbed.apiserver import StandinApi
from tests.testbed.chaos_enactor import ChaosEnactor
from tests.testbed.consul_agents import ConsulAgents
from tests.testbed.flink_pods import FlinkPods
from tests.testbed.victoria import Victoria

WORKERS = ["worker-1", "worker-2", "worker-3"]


class K3sStandin:
    def __init__(self, home: FlinkHome, directory: Path) -> None:
        self.dir = directory
        self.api = StandinApi()
        self.flink = FlinkPods(self.api, home, directory / "flink", workers=len(WORKERS))
        self.consul = ConsulAgents(WORKERS)
        self.victoria = Victoria(directory / "victoria")
        self.chaos = ChaosEnactor(self.pods)
        self.api.admit = self.chaos.admit
        self.api.on_custom = self.chaos.on_custom
        self._pids: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, taskmanagers: int = 1) -> K3sStandin:
        self.api.start()
        try:
            self.consul.start(self.api)
            self.victoria.start(WORKERS)
            self.api.add_service("victoria-metrics", "metrics", 8428, {"app": "victoria-metrics"}, self.victoria.url)
            self.flink.start(taskmanagers)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._discover, name="standin-discovery", daemon=True)
        self._thread.start()
        return self

    def pods(self) -> list[Instance]:
        """Every pod with a process, for the chaos enactor."""
        found = self.flink.instances() + self.consul.pods()
        self._pids |= {i.pid for i in found if i.pid}
        return found

    def kubeconfig(self, path: Path) -> str:
        return self.api.kubeconfig(path, namespace="scaletui")

    def outage(self, seconds: float) -> None:
        """The API server goes away for `seconds` (watches and connections dropped) and comes back on its port."""
        self.api.stop()
        time.sleep(seconds)
        self.api.start()

    def _discover(self) -> None:
        """VictoriaMetrics' scrape targets follow the Flink pods, as kubernetes_sd_configs would."""
        while not self._stop.wait(1.0):
            try:
                ports = self.flink.metrics_ports()
                nodes = {i.name: i.node for i in self.flink.instances()}
                self.victoria.set_flink_targets({pod: (port, nodes.get(pod, "")) for pod, port in ports.items()})
            except Exception:
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.pods()
        self.chaos.close()
        self.flink.stop()
        self.consul.stop()
        self.victoria.stop()
        self.api.close()

    def leftovers(self) -> list[str]:
        """Processes, ports, rules, qdiscs and fault processes the stand-in started and did not end."""
        left = [f"pid {p}" for p in sorted(self._pids) if pid_alive(p)]
        left += [f"pid {p.pid} ({p.args[0]})" for p in self.victoria.procs if p.poll() is None]
        ports = [self.api.port, self.victoria.port, self.victoria.exporter_port, self.consul.http.port]
        left += [f"port {p}" for p in ports if p and _listening(p)]
        for record in self.chaos.history:
            left += [f"rule {r}" for r in netfilter.tagged_rules(NetnsRef(), f"scaletui:{record.fault.id}")]
            left += [f"fault process {p}" for p in procs.marked_pids(record.fault.id)]
        if self.chaos.history and tc.leftover(NetnsRef(), "lo"):
            left.append("qdisc on lo")
        return left


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
