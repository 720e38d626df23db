"""The streaming-job simulator as a cluster: operator graph, CPU sharing, flow dynamics, the oracle, and the
`SimulatedCluster` backend over them (the same protocol as local Flink)."""

from scaletui.cluster.simulator.cluster import SimClock, SimulatedCluster

__all__ = ["SimClock", "SimulatedCluster"]
