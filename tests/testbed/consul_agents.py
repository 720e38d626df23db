"""Consul in the stand-in: a client agent per worker node is a real local process (a TCP echo server, shown as pod
consul-client-<id> on that node in namespace consul), and the Consul HTTP stand-in serves /v1/coordinate/nodes with
coordinates MEASURED from those processes: each node's height is the median TCP connect round trip to its agent
(vector at the origin), so serf's distance between two nodes is the sum of their heights, and a delay Chaos Mesh
enacts on an agent's pod raises that node's distances as Vivaldi would converge to. Scalehub delays the consul
client pods of the nodes it faults for exactly this reason: Consul only sees the network of its own agents.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from scaletui.cluster.base import Instance
from scaletui.latency.probe import connect_rtt_ms
from tests.fakes.consul import FakeConsul
from tests.fakes.k8s_objects import make_pod

NAMESPACE = "consul"
ECHO = Path(__file__).parents[1] / "chaos" / "echo_server.py"


class ConsulAgents:
    def __init__(self, nodes: list[str]) -> None:
        self.nodes = nodes
        self.agents: dict[str, tuple[subprocess.Popen[str], int]] = {}
        self.http = FakeConsul(source=self.coordinates)

    def start(self, api: Any) -> ConsulAgents:
        for n, node in enumerate(self.nodes):
            proc = subprocess.Popen([sys.executable, str(ECHO), "127.0.0.1"], stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            self.agents[node] = (proc, port)
            pod = make_pod(f"consul-client-{n:05x}", NAMESPACE, {"app": "consul", "component": "client"}, node=node,
                           ip="127.0.0.1", container="consul")  # fmt: skip
            api.put_pod(pod)
        self.http.start()
        api.add_service("consul-server", NAMESPACE, 8500, {"app": "consul", "component": "server"},
                        f"http://127.0.0.1:{self.http.port}")  # fmt: skip
        return self

    def pods(self) -> list[Instance]:
        return [
            Instance(name=f"consul-client-{n:05x}", role="other", state="running", node=node, pid=proc.pid)
            for n, (node, (proc, _)) in enumerate(self.agents.items())
        ]

    def coordinates(self) -> list[dict[str, Any]]:
        out = []
        for node, (_, port) in self.agents.items():
            samples = [v for _ in range(3) if (v := connect_rtt_ms("127.0.0.1", port, timeout=5.0)) is not None]
            height = statistics.median(samples) / 1000.0 if samples else 0.0
            out.append({"Node": node, "Segment": "", "Coord": {"Vec": [0.0] * 8, "Error": 0.2, "Adjustment": 0.0,
                                                               "Height": height}})  # fmt: skip
        return out

    def stop(self) -> None:
        self.http.stop()
        for proc, _ in self.agents.values():
            proc.kill()
            proc.wait(timeout=10)
