"""Where the live latency matrix comes from: the simulator's own model, Consul on a testbed, probes locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scaletui.latency.matrix import LatencyMatrix

if TYPE_CHECKING:
    from scaletui.engine.core import Engine


class ClusterLatency:
    """A `LatencySource` over whatever cluster the engine drives now."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def matrix(self) -> LatencyMatrix:
        import time

        from scaletui.latency.probe import ProbeLatency

        cluster = self.engine.active_cluster()
        if cluster is None:
            return LatencyMatrix(nodes=(), ts=time.time(), source="none")
        modelled = getattr(cluster, "latency_matrix", None)
        if callable(modelled):
            table = modelled()
            if table:
                nodes = tuple(sorted(table))
                rtt = {(a, b): float(table[a][b]) for a in nodes for b in nodes if a < b and b in table[a]}
                return LatencyMatrix(nodes=nodes, rtt_ms=rtt, ts=time.time(), source="simulator")
        instances = [i for i in cluster.instances() if i.pid is not None]
        return ProbeLatency().matrix(instances)
