"""Latency matrix: Consul coordinates against an HTTP-level fake Consul agent on 127.0.0.1 serving
/v1/coordinate/nodes; local probes against real TCP servers."""

from __future__ import annotations

import math
import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaletui.cluster.base import Instance
from scaletui.errors import PlatformError
from scaletui.events import ErrorEvent, EventBus, LatencyEvent
from scaletui.latency.coordinates import ConsulLatency, Coordinate, rtt_seconds
from scaletui.latency.matrix import LatencyMatrix
from scaletui.latency.monitor import LatencyMonitor
from scaletui.latency.probe import ProbeLatency, connect_rtt_ms
from tests.fakes.consul import FakeConsul, coord

pytestmark = pytest.mark.timeout(30)


def test_vivaldi_distance_as_serf_computes_it() -> None:
    a = Coordinate(vec=(0.0, 0.003, 0.004), height=0.0005, adjustment=0.0001)
    b = Coordinate(vec=(0.0, 0.0, 0.0), height=0.0002, adjustment=-0.0003)
    # |(0, .003, .004)| = .005, + heights .0007 = .0057, + adjustments -.0002 = .0055 (> 0, so adjusted)
    assert rtt_seconds(a, b) == pytest.approx(0.0055)
    c = Coordinate(vec=(0.0, 0.0, 0.0), height=0.0, adjustment=-0.01)
    assert rtt_seconds(Coordinate(vec=(0.0, 0.0, 0.001)), c) == pytest.approx(0.001)  # adjusted <= 0: raw distance
    assert rtt_seconds(Coordinate(vec=(0.0,)), Coordinate(vec=(0.0, 0.0))) is None


@given(
    st.lists(st.floats(-1, 1), min_size=8, max_size=8),
    st.lists(st.floats(-1, 1), min_size=8, max_size=8),
    st.floats(0, 0.1),
    st.floats(0, 0.1),
)
def test_distance_is_symmetric_and_positive(v1: list[float], v2: list[float], h1: float, h2: float) -> None:
    a, b = Coordinate(vec=tuple(v1), height=h1), Coordinate(vec=tuple(v2), height=h2)
    assert rtt_seconds(a, b) == pytest.approx(rtt_seconds(b, a))
    assert rtt_seconds(a, b) == pytest.approx(math.dist(v1, v2) + h1 + h2)


def test_matrix_from_a_consul_agent() -> None:
    fake = FakeConsul()
    fake.add("node-1", coord([0.0] * 8, height=0.0001))
    fake.add("node-2", coord([0.003, 0.004] + [0.0] * 6, height=0.0001))
    fake.add("node-3", coord([0.0, 0.0, 0.012] + [0.0] * 5, height=0.0001, adjustment=0.001))
    fake.add("node-3", coord([9.0] * 8), segment="alpha")  # another segment's entry is not the node's LAN one
    fake.start()
    try:
        matrix = ConsulLatency(port=fake.port).matrix()
    finally:
        fake.stop()
    assert fake.paths == ["/v1/coordinate/nodes"]
    assert matrix.nodes == ("node-1", "node-2", "node-3") and matrix.source == "consul"
    assert matrix.get("node-1", "node-2") == pytest.approx(5.2)  # 5 ms + 2 heights of 0.1 ms
    assert matrix.get("node-2", "node-1") == pytest.approx(5.2)
    assert matrix.get("node-1", "node-3") == pytest.approx(13.2)  # 12 + 0.2 + adjustment 1
    assert matrix.worst(["node-1", "node-2", "node-3"]) == pytest.approx(matrix.get("node-2", "node-3"))
    assert matrix.worst_from("node-1") == pytest.approx(13.2)


def test_unreachable_consul_is_one_sentence() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PlatformError, match="did not give network coordinates"):
        ConsulLatency(port=port, timeout_s=1).matrix()


def test_matrix_type_for_strategies() -> None:
    m = LatencyMatrix(nodes=("a", "b", "c"), rtt_ms={("a", "b"): 1.0, ("b", "c"): 7.0})
    assert m.get("c", "b") == 7.0 and m.get("a", "c") is None and m.get("a", "a") == 0.0
    assert m.worst(["a", "b"]) == 1.0 and m.worst(["a", "c"]) is None and m.worst(["a", "b", "c"]) == 7.0
    assert m.rows() == [[0.0, 1.0, None], [1.0, 0.0, 7.0], [None, 7.0, 0.0]]
    assert [r["rtt_ms"] for r in m.records()] == [1.0, None, 7.0]


def serve() -> tuple[socket.socket, int]:
    server = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def test_probe_matrix_between_local_instances() -> None:
    servers = [serve() for _ in range(3)]
    try:
        insts = [Instance(name=f"tm-{n}", role="taskmanager", state="running") for n in range(3)]
        ports = {f"tm-{n}": port for n, (_, port) in enumerate(servers)}
        matrix = ProbeLatency(port_of=lambda i: ports[i.name]).matrix(insts)
    finally:
        for s, _ in servers:
            s.close()
    assert matrix.nodes == ("tm-0", "tm-1", "tm-2") and matrix.source == "probe"
    values = [matrix.get(a, b) for a, b in [("tm-0", "tm-1"), ("tm-0", "tm-2"), ("tm-1", "tm-2")]]
    assert all(v is not None and 0 < v < 100 for v in values)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        assert connect_rtt_ms("127.0.0.1", unused.getsockname()[1], timeout=0.5) is None  # nothing listens


def test_monitor_publishes_and_reports_failures_once() -> None:
    bus = EventBus()
    seen: list = []  # type: ignore[type-arg]
    bus.subscribe(seen.append)

    class Flaky:
        calls = 0

        def matrix(self) -> LatencyMatrix:
            Flaky.calls += 1
            if Flaky.calls in (2, 3):
                raise PlatformError("consul away")
            return LatencyMatrix(nodes=("a",))

    monitor = LatencyMonitor(Flaky(), bus)
    results = [monitor.measure() for _ in range(4)]
    assert [r is not None for r in results] == [True, False, False, True]
    assert len([e for e in seen if isinstance(e, ErrorEvent)]) == 1
    assert len([e for e in seen if isinstance(e, LatencyEvent)]) == 2


def test_a_paused_instance_does_not_answer_in_the_matrix() -> None:
    """Review 33 #11: a SIGSTOPped TaskManager looked healthy (the kernel completes a connect to its listening port
    with nothing reading). Two real listening processes, one stopped: its pairs are unknown, shown as the Pods pane
    shows it ("paused") or seen from its process state alone; resumed, it answers again."""
    import os
    import signal
    import subprocess
    import sys

    from scaletui.chaos.procs import run_state
    from tests.chaos.realenv import wait_for

    server = (
        "import socket, sys; s = socket.create_server(('127.0.0.1', 0)); print(s.getsockname()[1], flush=True); "
        "sys.stdin.read()"
    )
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    procs = [subprocess.Popen([sys.executable, "-c", server], **pipes) for _ in range(2)]  # type: ignore[call-overload]
    try:
        ports = {p.pid: int(p.stdout.readline()) for p in procs}  # type: ignore[union-attr]
        probe = ProbeLatency(port_of=lambda i: ports[i.pid], samples=1)  # type: ignore[index]

        def matrix(paused_state: str) -> LatencyMatrix:
            a = Instance("tm-a", "taskmanager", "running", "127.0.0.1", pid=procs[0].pid)
            b = Instance("tm-b", "taskmanager", paused_state, "127.0.0.1", pid=procs[1].pid)  # type: ignore[arg-type]
            return probe.matrix([a, b])

        assert matrix("running").get("tm-a", "tm-b") is not None
        os.kill(procs[1].pid, signal.SIGSTOP)
        assert wait_for(lambda: run_state(procs[1].pid) == "T", timeout=10), "the process to stop"
        assert connect_rtt_ms("127.0.0.1", ports[procs[1].pid]) is not None, "the kernel answers a stopped process"
        assert matrix("paused").get("tm-a", "tm-b") is None
        assert matrix("running").get("tm-a", "tm-b") is None, "stopped since the instance list was read"
        os.kill(procs[1].pid, signal.SIGCONT)
        assert matrix("running").get("tm-a", "tm-b") is not None
    finally:
        for p in procs:
            os.kill(p.pid, signal.SIGCONT)
            p.kill()
            p.wait(timeout=10)
