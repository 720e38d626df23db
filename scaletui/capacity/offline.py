"""Offline mode: replay a recorded trace through a strategy and score what it claimed.

The score of one resource is the mean free capacity the strategy claimed during each scope (as a fraction of the
node's size) and its violations: scopes whose peak usage went above the estimate in force during them. Every
scope counts, the first one included (judged against the starting estimate), for every strategy alike.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from scaletui.capacity.config import CapacityConfig
from scaletui.capacity.estimator import ResourceEstimator, ScopeRecord
from scaletui.capacity.node import NodeCapacity
from scaletui.capacity.traces import Trace
from scaletui.events import EventBus, Progress


@dataclass(frozen=True)
class ResourceOutcome:
    """How one strategy did on one resource of one node over a whole trace."""

    node: str
    resource: str
    strategy: str
    scopes: int
    violations: int
    mean_free_ratio: float
    records: tuple[ScopeRecord, ...]

    @property
    def violation_ratio(self) -> float:
        return self.violations / self.scopes if self.scopes else 0.0


def replay(
    trace: Trace, config: CapacityConfig, cancel: threading.Event | None = None, bus: EventBus | None = None
) -> dict[str, NodeCapacity]:
    """Feed every node's series through its own NodeCapacity; returns them with all their scope records."""
    nodes: dict[str, NodeCapacity] = {}
    total = len(trace.nodes)
    for done, series in enumerate(trace.nodes.values()):
        if cancel is not None and cancel.is_set():
            break
        node = NodeCapacity(series.node, config, series.cpu_total, series.memory_total)
        node.set_booked(series.booked_cpu, series.booked_memory)
        for ts, cpu, memory in zip(series.ts, series.cpu, series.memory, strict=True):
            node.add(ts, cpu, memory)
        node.flush()
        nodes[series.node] = node
        if bus is not None:
            bus.publish(
                Progress(
                    step="capacity-replay",
                    message=f"{series.node} replayed",
                    fraction=(done + 1) / total,
                    done=done + 1 == total,
                    source="capacity",
                )
            )
    return nodes


def _outcome(node: str, resource: str, strategy: str, estimator: ResourceEstimator) -> ResourceOutcome:
    records = tuple(estimator.records)
    free = [r.free_before / r.size for r in records]
    return ResourceOutcome(
        node=node,
        resource=resource,
        strategy=strategy,
        scopes=len(records),
        violations=sum(r.violated for r in records),
        mean_free_ratio=sum(free) / len(free) if free else 0.0,
        records=records,
    )


def score(nodes: dict[str, NodeCapacity]) -> list[ResourceOutcome]:
    """One outcome per node and measured resource."""
    out = []
    for name, node in nodes.items():
        for resource, estimator in (("cpu", node.cpu), ("memory", node.memory)):
            if estimator is not None and estimator.records:
                out.append(_outcome(name, resource, node.strategy_name, estimator))
    return out
