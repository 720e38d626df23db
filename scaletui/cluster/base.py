"""The `cluster` protocol: the one interface scaling, chaos and the UI use to reach a running job.

Local Flink, Flink on Kubernetes and the simulator all implement it, so a strategy never knows which it drives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from scaletui.errors import JobError
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

    @property
    def max_parallelism(self) -> dict[str, int]:
        return {op.name: op.max_parallelism for op in self.operators}


def check_parallelism(max_parallelism: Mapping[str, int], parallelism: Mapping[str, int]) -> None:
    """Refuse, before anything changes, an operator the job lacks or a parallelism outside 1..its max parallelism
    (`max_parallelism`: per operator): every backend's rescale, and the change by hand, which pauses the autoscaler
    only for a change that can happen."""
    for name, value in parallelism.items():
        if name not in max_parallelism:
            raise JobError(f"The job has no operator named {name!r}.", f"Its operators: {', '.join(max_parallelism)}.")
        top = max_parallelism[name]
        if not 1 <= value <= top:
            raise JobError(
                f"Parallelism {value} for {name} is outside 1..{top} (its max parallelism).",
                f"Choose one from 1 to {top}; nothing was changed.",
            )


def check_taskmanagers(count: int, limit: int | None) -> None:
    """Refuse, before anything changes, a TaskManager count below 1 or above the platform's `limit` (the most it can
    run; None when it knows no bound): the simulator's change, and the change by hand, which pauses the autoscaler
    only for a change that can happen."""
    if count < 1 or (limit is not None and count > limit):
        top = f"1..{limit} (the most this platform runs)" if limit is not None else "1 or more"
        hint = f"Choose one from 1 to {limit}" if limit is not None else "Choose 1 or more"
        raise JobError(f"TaskManager count {count} is outside {top}.", f"{hint}; nothing was changed.")


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
