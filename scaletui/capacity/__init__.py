"""ScroogeVM-style capacity estimation: how much of each node's CPU and memory can still be counted as free.

Usage is cut into scopes; at the end of each scope a strategy (percentile, doa, greedy, nsigma, fixed-ratio)
revises what it sees as used, and free capacity is the node's size minus that. `LiveCapacity` does it on the
session's telemetry, `replay` on recorded traces.
"""

from scaletui.capacity.config import CapacityConfig, StabilityConfig, TaskManagerSize
from scaletui.capacity.node import NodeCapacity, NodeCapacityRow, ResourceView
from scaletui.capacity.offline import ResourceOutcome, replay, score
from scaletui.capacity.online import LiveCapacity, Placement
from scaletui.capacity.traces import NodeSeries, Trace, load_trace, write_csv

__all__ = [
    "CapacityConfig",
    "LiveCapacity",
    "NodeCapacity",
    "NodeCapacityRow",
    "NodeSeries",
    "Placement",
    "ResourceOutcome",
    "ResourceView",
    "StabilityConfig",
    "TaskManagerSize",
    "Trace",
    "load_trace",
    "replay",
    "score",
    "write_csv",
]
