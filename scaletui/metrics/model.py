"""Metric samples shared by collectors, the simulator, strategies, plots and results.

`None` means missing (never measured or stale): a missing value is never shown or used as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OperatorSample:
    """One operator over the last window; rates are records per second, times are ms per second."""

    name: str
    parallelism: int
    max_parallelism: int
    records_in_per_s: float | None = None
    records_out_per_s: float | None = None
    busy_ms_per_s: float | None = None
    backpressured_ms_per_s: float | None = None
    idle_ms_per_s: float | None = None
    is_source: bool = False
    keyed_input: bool = False
    source_partitions: int | None = None
    """Partitions a source reads (Kafka/Pulsar topic partitions); None when unknown or not partitioned."""


@dataclass(frozen=True)
class NodeSample:
    """Resource use of one node or TaskManager: CPU in cores, memory in bytes."""

    node: str
    cpu_cores: float | None = None
    cpu_total: float | None = None
    memory_bytes: int | None = None
    memory_total: int | None = None
    net_rx_bytes_per_s: float | None = None
    """Bytes per second received on the node's interfaces (loopback excluded), where node telemetry is scraped."""
    net_tx_bytes_per_s: float | None = None


@dataclass(frozen=True)
class JobSample:
    """Everything measured at one time step. `stale` is True when the source did not refresh in time."""

    ts: float
    operators: dict[str, OperatorSample] = field(default_factory=dict)
    target_rate: float | None = None
    achieved_rate: float | None = None
    backlog: float | None = None
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    taskmanagers: int | None = None
    total_slots: int | None = None
    free_slots: int | None = None
    nodes: dict[str, NodeSample] = field(default_factory=dict)
    stale: bool = False

    @property
    def parallelism(self) -> dict[str, int]:
        return {name: op.parallelism for name, op in self.operators.items()}
