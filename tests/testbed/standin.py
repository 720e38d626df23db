"""A loopback stand-in of a K3S testbed, for the tests (not the product): what scaletui reaches on a testbed, with
insides as real as one machine allows.

- the Kubernetes API over HTTP (apiserver.py): pods, deployments and their scale, services and the service proxy,
  pod watches, events, the chaos-mesh.org resources with Chaos Mesh's admission rules;
- Flink's pods are real JobManager and TaskManager processes (flink_pods.py); scaling the TaskManager Deployment
  starts and stops them; the proxy reaches their real REST API;
- Chaos Mesh resources are enacted as real local faults on the pods' processes (chaos_enactor.py);
- Consul's coordinates are measured from real agent processes (consul_agents.py);
- a real VictoriaMetrics scrapes the Flink reporters and a real node exporter (victoria.py);
- the loadgen role's rate service runs as a real process (its own script), pod and Service rate-service.

A testbed gives each pod its node's CPUs; here every pod shares this machine with whatever else runs (a loaded make
test, stress-ng). A TaskManager pod's processes (Flink's script, its BashJavaUtils JVM, the TaskManager JVM) therefore
run at a higher CPU priority (STARTING_NICE) from their launch until the TaskManager registers with the JobManager,
and at the normal one after: its start is then not starved by the machine's other load, as on a node of its own
(unprioritised at load 17-27 one took 43-85 s to register, its Pekko actor system alone 12 s; prioritised 22-36 s at
load ~17, ~31 s at load 5-8), and the job's own work is not favoured.

`outage(seconds)` stops the API server and serves the same state on the same port again (watches dropped);
`leftovers()` lists anything the stand-in would leave behind (a test session asserts it is empty).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

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
RATE_SERVICE = Path(__file__).parents[2] / "playbooks/application/roles/loadgen/files/rate-service.py"
STARTING_NICE = -10
"""The nice value of a TaskManager pod's processes while it starts (until it registers): see the module docstring."""


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
        self.rate_service: subprocess.Popen[bytes] | None = None
        self.rate_port = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._starts: threading.Thread | None = None
        self.start_priority: list[tuple[float, str, str]] = []
        """(time.time(), TaskManager, "raised" or "normal"): when each start's priority was raised and set back."""

    def start(self, taskmanagers: int = 1) -> K3sStandin:
        self.api.start()
        try:
            self.consul.start(self.api)
            self.victoria.start(WORKERS)
            self.api.add_service("victoria-metrics", "metrics", 8428, {"app": "victoria-metrics"}, self.victoria.url)
            self._start_rate_service()
            self.flink.start(taskmanagers)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._discover, name="standin-discovery", daemon=True)
        self._thread.start()
        self._starts = threading.Thread(target=self._prioritise_starts, name="standin-tm-starts", daemon=True)
        self._starts.start()
        return self

    def _start_rate_service(self) -> None:
        from scaletui.flink.cluster_config import free_port
        from tests.fakes.k8s_objects import make_pod

        self.rate_port = free_port()
        env = {"PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": str(self.rate_port), "INITIAL_RATE": "0"}
        self.rate_service = subprocess.Popen([sys.executable, str(RATE_SERVICE)], env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.rate_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        labels = {"app": "rate-service"}
        self.api.put_pod(make_pod("rate-service-5d9c7", "scaletui", labels, node="worker-1", ip="127.0.0.1",
                                  container="rate-service"))  # fmt: skip
        self.api.add_deployment("rate-service", "scaletui", labels, 1)
        # the workload job's source (a real TaskManager process here) polls it at the Service's cluster IP and port
        self.api.add_service("rate-service", "scaletui", self.rate_port, labels, self.rate_url, cluster_ip="127.0.0.1")
        self._pids.add(self.rate_service.pid)

    @property
    def rate_url(self) -> str:
        """The rate service as the job's source reaches it (in the stand-in, every pod is on loopback)."""
        return f"http://127.0.0.1:{self.rate_port}"

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

    def _prioritise_starts(self) -> None:
        """A TaskManager process started after the stand-in's own start runs, with its children (its process group:
        it is launched in a session of its own), at STARTING_NICE until the JobManager lists it, then at 0."""
        seen = {p.pid for p in self.flink.cluster.processes()}
        starting: dict[int, str] = {}
        while not self._stop.wait(0.2):
            try:
                live = {p.pid: p.name for p in self.flink.cluster.processes() if p.role == "taskmanager"}
                for pid, name in live.items():
                    if pid not in seen:
                        seen.add(pid)
                        if _renice_group(pid, STARTING_NICE):
                            starting[pid] = name
                            self.start_priority.append((time.time(), name, "raised"))
                for pid in [p for p in starting if p not in live]:
                    del starting[pid]
                if not starting:
                    continue
                registered = set(self.flink.cluster.registered())
                for pid, name in list(starting.items()):
                    if name in registered:
                        _renice_group(pid, 0)
                        del starting[pid]
                        self.start_priority.append((time.time(), name, "normal"))
            except Exception:  # the JobManager busy or a process gone: the next round sees it
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._starts is not None:
            self._starts.join(timeout=10)
        self.pods()
        self.chaos.close()
        self.flink.stop()
        self.consul.stop()
        self.victoria.stop()
        if self.rate_service is not None:
            self.rate_service.terminate()
            self.rate_service.wait(timeout=10)
        self.api.close()

    def leftovers(self) -> list[str]:
        """Processes, ports, rules, qdiscs and fault processes the stand-in started and did not end."""
        left = [f"pid {p}" for p in sorted(self._pids) if pid_alive(p)]
        left += [f"pid {p.pid} ({p.args[0]})" for p in self.victoria.procs if p.poll() is None]
        ports = [self.api.port, self.victoria.port, self.victoria.exporter_port, self.consul.http.port, self.rate_port]
        left += [f"port {p}" for p in ports if p and _listening(p)]
        return left + self.fault_leftovers()

    def fault_leftovers(self) -> list[str]:
        """What the Chaos Mesh resources left enacted: resources not lifted, their rules, fault processes and a qdisc
        (what a test asks mid-session, while the stand-in's own processes rightly run)."""
        left = [f"enacted {key}" for key in self.chaos.enacted]
        for record in self.chaos.history:
            left += [f"rule {r}" for r in netfilter.tagged_rules(NetnsRef(), f"scaletui:{record.fault.id}")]
            left += [f"fault process {p}" for p in procs.marked_pids(record.fault.id)]
        if self.chaos.history and tc.leftover(NetnsRef(), "lo"):
            left.append("qdisc on lo")
        return left


def _renice_group(pgid: int, nice: int) -> bool:
    try:
        os.setpriority(os.PRIO_PGRP, pgid, nice)
        return True
    except OSError:  # gone already, or not root
        return False


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
