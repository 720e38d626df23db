"""The `cluster` protocol: the one interface scaling, chaos and the UI use to reach a running job.

Local Flink, Flink on Kubernetes and the simulator all implement it, so a strategy never knows which it drives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from scaletui.events import ActuationEvent
from scaletui.metrics.model import JobSample

InstanceState = Literal["starting", "running", "paused", "failed", "stopped", "unknown"]


@dataclass(frozen=True)
class Instance:
    """A JobManager or TaskManager: a process locally, a pod on Kubernetes, a virtual one in the simulator."""

    name: str
    role: Literal["jobmanager", "taskmanager", "other"]
    state: InstanceState
    node: str = "localhost"
    address: str = "127.0.0.1"
    started_at: float | None = None
    restarts: int = 0
    cpu_cores: float | None = None
    memory_bytes: int | None = None
    slots_used: int | None = None
    slots_total: int | None = None
    pid: int | None = None


@dataclass(frozen=True)
class OperatorInfo:
    """One job vertex, addressed by its stable name (the operator uid)."""

    name: str
    vertex_id: str
    parallelism: int
    max_parallelism: int
    keyed_input: bool = False
    is_source: bool = False


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    name: str
    state: str
    operators: tuple[OperatorInfo, ...] = field(default_factory=tuple)

    def operator(self, name: str) -> OperatorInfo:
        for op in self.operators:
            if op.name == name:
                return op
        raise KeyError(name)

    @property
    def parallelism(self) -> dict[str, int]:
        return {op.name: op.parallelism for op in self.operators}


@runtime_checkable
class ClusterBackend(Protocol):
    """What every cluster backend offers. Methods block; callers run them in workers."""

    @property
    def name(self) -> str: ...

    def instances(self) -> list[Instance]:
        """The JobManager and TaskManagers with their health."""
        ...

    def job(self) -> JobInfo | None:
        """The running job and its operators, or None when no job runs."""
        ...

    def sample(self) -> JobSample:
        """The latest metrics: per operator rates, busy/backpressured time; per job rate and latency."""
        ...

    def set_parallelism(self, parallelism: dict[str, int]) -> ActuationEvent:
        """Rescale the named operators in place; returns when the change is in effect."""
        ...

    def set_taskmanagers(self, count: int) -> ActuationEvent:
        """Grow or shrink to `count` TaskManagers."""
        ...

    def savepoint_restart(self, parallelism: dict[str, int]) -> ActuationEvent:
        """The fallback rescale: stop with a savepoint, resubmit with the new parallelism."""
        ...
