"""ScroogeVM-style capacity estimation: how much of each node's CPU and memory can still be counted as free.

Usage is cut into scopes; at the end of each scope a strategy (percentile, doa, greedy, nsigma, fixed-ratio)
revises what it sees as used, and free capacity is the node's size minus that. `LiveCapacity` does it on the
session's telemetry, `replay` on recorded traces.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "CapacityConfig": "config",
    "StabilityConfig": "config",
    "TaskManagerSize": "config",
    "NodeCapacity": "node",
    "NodeCapacityRow": "node",
    "ResourceView": "node",
    "ResourceOutcome": "offline",
    "replay": "offline",
    "score": "offline",
    "HostSample": "host",
    "host_row": "host",
    "read_host": "host",
    "LiveCapacity": "online",
    "Placement": "online",
    "NodeSeries": "traces",
    "Trace": "traces",
    "load_trace": "traces",
    "write_csv": "traces",
}


def __getattr__(name: str) -> Any:
    """Load on first use: the estimators need numpy, and the app settings import this package's config."""
    if name in _WHERE:
        return getattr(import_module(f"scaletui.capacity.{_WHERE[name]}"), name)
    raise AttributeError(name)


__all__ = [
    "CapacityConfig",
    "HostSample",
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
    "host_row",
    "load_trace",
    "read_host",
    "replay",
    "score",
    "write_csv",
]
