"""Local latency by probing: the TCP connect round trip to each instance's listening port.

A connect costs one SYN / SYN-ACK round trip, so it shows whatever delays the instance's egress (an injected delay
fault included). Two instances talk across both their egresses, so the pair's latency is the sum of their probes.
A paused (SIGSTOPped) instance is not probed: the kernel would still answer its connects, though nothing reads them.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable, Sequence

from scaletui.chaos import procs
from scaletui.cluster.base import Instance
from scaletui.latency.matrix import LatencyMatrix


def connect_rtt_ms(address: str, port: int, timeout: float = 2.0) -> float | None:
    """Milliseconds for one TCP connect to complete, or None when it fails or times out."""
    start = time.perf_counter()
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return (time.perf_counter() - start) * 1000.0
    except OSError:
        return None


def listening_port(instance: Instance) -> int | None:
    """The instance's lowest listening TCP port, read from /proc (its process must be visible to us)."""
    if instance.pid is None:
        return None
    try:
        ports = procs.tcp_ports(instance.pid, listening_only=True)
    except OSError:
        return None
    return ports[0] if ports else None


def paused(instance: Instance) -> bool:
    """Stopped by a pause fault, as the Pods pane shows it, or since the instance list was read."""
    if instance.state == "paused":
        return True
    return instance.pid is not None and procs.run_state(instance.pid) in ("T", "t")


class ProbeLatency:
    """Builds a LatencyMatrix from connect probes; `port_of` picks the port to probe on each instance."""

    def __init__(
        self, port_of: Callable[[Instance], int | None] = listening_port, samples: int = 3, timeout: float = 2.0
    ) -> None:
        self.port_of = port_of
        self.samples = samples
        self.timeout = timeout

    def probe(self, instance: Instance) -> float | None:
        """Median of `samples` connects (robust to one slow scheduling hiccup), or None if unreachable or paused."""
        if paused(instance):
            return None
        port = self.port_of(instance)
        if port is None:
            return None
        values = [v for _ in range(self.samples) if (v := connect_rtt_ms(instance.address, port, self.timeout))]
        return statistics.median(values) if values else None

    def matrix(self, instances: Sequence[Instance]) -> LatencyMatrix:
        alone = {i.name: self.probe(i) for i in instances}
        names = tuple(alone)
        pairs = {
            (a, b): alone[a] + alone[b]  # type: ignore[operator]
            for n, a in enumerate(names)
            for b in names[n + 1 :]
            if alone[a] is not None and alone[b] is not None
        }
        return LatencyMatrix(nodes=names, rtt_ms=pairs, ts=time.time(), source="probe")
