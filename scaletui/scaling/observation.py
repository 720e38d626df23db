"""What a strategy sees (an Observation over a metrics window) and what it returns (a Decision).

An Observation averages the samples of one window and keeps `None` where nothing was measured, so a strategy can
tell "idle" from "unknown". Graph edges, the node of each slot and the latency matrix come from the backend when it
knows them (`TopologySource`); otherwise operators are taken as a chain in the job's order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from scaletui.metrics.model import JobSample


@runtime_checkable
class TopologySource(Protocol):
    """Optional extras a backend may offer beyond `ClusterBackend` (the simulator does)."""

    def edges(self) -> dict[str, tuple[str, ...]]:
        """Operator name -> names of its inputs."""
        ...

    def slot_nodes(self) -> tuple[str, ...]:
        """The node of each slot, in the order instances are placed on them."""
        ...

    def latency_matrix(self) -> dict[str, dict[str, float]] | None:
        """Node -> node -> one-way delay in ms, or None when unknown."""
        ...


@dataclass(frozen=True)
class OperatorObservation:
    """One operator over the window: rates in records/s (all instances), times in ms/s per instance."""

    name: str
    parallelism: int
    max_parallelism: int
    in_rate: float | None = None
    out_rate: float | None = None
    busy_ms: float | None = None
    backpressured_ms: float | None = None
    is_source: bool = False
    keyed_input: bool = False
    upstream: tuple[str, ...] = ()
    source_partitions: int | None = None
    """Partitions the source reads (Kafka/Pulsar), as the Flink operator counts them; None when not a partitioned
    source (the local workload job's generator has none)."""

    @property
    def utilisation(self) -> float | None:
        return None if self.busy_ms is None else min(1.0, self.busy_ms / 1000.0)

    @property
    def processed_rate(self) -> float | None:
        """Records handled per second: input for operators, output for sources (Flink counts no source input)."""
        if self.is_source:
            return self.out_rate if self.out_rate is not None else self.in_rate
        return self.in_rate

    def true_rate(self, min_busy_ms: float = 1.0) -> float | None:
        """DS2's true processing rate of one instance: records per second of busy time. None when it cannot be
        measured: too little busy time, or none of it spent on records (busy while the job restarts onto a new
        TaskManager, an input stalled), which would read as a rate of 0 that the strategies divide by."""
        rate = self.processed_rate
        if rate is None or rate <= 0 or self.busy_ms is None or self.busy_ms < min_busy_ms:
            return None
        return rate / self.parallelism / (self.busy_ms / 1000.0)

    @property
    def selectivity(self) -> float | None:
        if self.is_source:
            return 1.0
        if self.in_rate is None or self.out_rate is None or self.in_rate <= 0:
            return None
        return self.out_rate / self.in_rate


@dataclass(frozen=True)
class Observation:
    """Everything one decision is based on: the window's means, plus the series some strategies count on."""

    t: float
    window_s: float
    samples: int
    operators: dict[str, OperatorObservation]
    target_rate: float | None = None
    achieved_rate: float | None = None
    backlog: float | None = None
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    p99_series: tuple[float | None, ...] = ()
    target_series: tuple[float | None, ...] = ()
    """The target source rate of every sample in the window, oldest first (what forecasting strategies read)."""
    backlog_series: tuple[float | None, ...] = ()
    """The source backlog (records not yet read) of every sample in the window, oldest first."""
    sample_times: tuple[float, ...] = ()
    """The time of every sample in the window, oldest first."""
    taskmanagers: int | None = None
    total_slots: int | None = None
    free_slots: int | None = None
    node_cpu: dict[str, float] = field(default_factory=dict)
    """Node -> CPU used over CPU available (0..1), where the backend reports both."""
    slot_nodes: tuple[str, ...] = ()
    latency_matrix: dict[str, dict[str, float]] | None = None
    slot_limit: int | None = None
    """The most slots the experiment's guard rails let the job use (max parallelism, slots, TaskManagers), where the
    control loop knows them: a strategy that plans ahead plans within them."""

    @property
    def parallelism(self) -> dict[str, int]:
        return {name: op.parallelism for name, op in self.operators.items()}

    @property
    def slots_per_taskmanager(self) -> int | None:
        if self.total_slots and self.taskmanagers:
            return max(1, self.total_slots // self.taskmanagers)
        return None

    def downstream(self, name: str) -> list[str]:
        return [op.name for op in self.operators.values() if name in op.upstream]

    def required_rates(self, source_rate: float | None = None) -> dict[str, float | None]:
        """Input rate each operator must take for the sources to emit `source_rate` (default: the target rate),
        propagated through the graph by each operator's measured selectivity (None where unknown)."""
        rate = self.target_rate if source_rate is None else source_rate
        out: dict[str, float | None] = {}
        emitted: dict[str, float | None] = {}
        for op in self.operators.values():  # kept in topological order by build_observation
            if op.is_source:
                needed: float | None = rate
            else:
                parts = [emitted.get(u) for u in op.upstream]
                needed = None if any(x is None for x in parts) else sum(x for x in parts if x is not None)
            out[op.name] = needed
            sel = op.selectivity
            emitted[op.name] = None if needed is None or sel is None else needed * sel
        return out

    def worst_delay(self, parallelism: int) -> float:
        """Worst delay (ms) among the nodes that would host `parallelism` instances; 0 when unknown."""
        if not self.latency_matrix:
            return 0.0
        if parallelism > len(self.slot_nodes):
            nodes = set(self.latency_matrix)
        else:
            nodes = set(self.slot_nodes[:parallelism])
        return max((self.latency_matrix.get(a, {}).get(b, 0.0) for a in nodes for b in nodes), default=0.0)

    def summary(self) -> dict[str, Any]:
        """The inputs recorded with a decision: plain numbers, rounded, JSON-ready."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "t": round(self.t, 2),
            "window_s": round(self.window_s, 1),
            "target_rate": r(self.target_rate),
            "achieved_rate": r(self.achieved_rate),
            "backlog": r(self.backlog),
            "latency_ms": {k: r(v) for k, v in self.latency_ms.items()},
            "taskmanagers": self.taskmanagers,
            "free_slots": self.free_slots,
            "operators": {
                op.name: {
                    "parallelism": op.parallelism,
                    "in_rate": r(op.in_rate),
                    "out_rate": r(op.out_rate),
                    "busy_ms": r(op.busy_ms),
                    "backpressured_ms": r(op.backpressured_ms),
                }
                for op in self.operators.values()
            },
        }


@dataclass(frozen=True)
class Decision:
    """Parallelism per operator, the TaskManager count (None: leave as is), and one line saying why."""

    parallelism: dict[str, int]
    taskmanagers: int | None
    reason: str

    def changes(self, current: dict[str, int]) -> dict[str, int]:
        return {name: p for name, p in self.parallelism.items() if current.get(name) != p}


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return sum(present) / len(present) if present else None


def build_observation(
    samples: Sequence[JobSample],
    edges: dict[str, tuple[str, ...]] | None = None,
    slot_nodes: tuple[str, ...] = (),
    latency_matrix: dict[str, dict[str, float]] | None = None,
    slot_limit: int | None = None,
) -> Observation | None:
    """Average a window of samples; None when the window holds no fresh sample with operators."""
    fresh = [s for s in samples if not s.stale and s.operators]
    if not fresh:
        return None
    last = fresh[-1]
    names = list(last.operators)
    if edges is None:
        edges = {
            name: ((names[i - 1],) if i and not last.operators[name].is_source else ()) for i, name in enumerate(names)
        }
    ops: dict[str, OperatorObservation] = {}
    for name in _topological(names, edges):
        latest = last.operators[name]
        series = [
            s.operators[name]
            for s in fresh
            if name in s.operators and s.operators[name].parallelism == latest.parallelism
        ]
        ops[name] = OperatorObservation(
            name=name,
            parallelism=latest.parallelism,
            max_parallelism=latest.max_parallelism,
            in_rate=_mean([o.records_in_per_s for o in series]),
            out_rate=_mean([o.records_out_per_s for o in series]),
            busy_ms=_mean([o.busy_ms_per_s for o in series]),
            backpressured_ms=_mean([o.backpressured_ms_per_s for o in series]),
            is_source=latest.is_source or not edges.get(name),
            keyed_input=latest.keyed_input,
            upstream=tuple(edges.get(name, ())),
            source_partitions=latest.source_partitions,
        )
    keys = sorted({k for s in fresh for k in s.latency_ms})
    node_cpu = {}
    for node, ns in last.nodes.items():
        if ns.cpu_cores is not None and ns.cpu_total:
            node_cpu[node] = ns.cpu_cores / ns.cpu_total
    return Observation(
        t=last.ts,
        window_s=last.ts - fresh[0].ts + 1.0,
        samples=len(fresh),
        operators=ops,
        target_rate=_mean([s.target_rate for s in fresh]),
        achieved_rate=_mean([s.achieved_rate for s in fresh]),
        backlog=last.backlog,
        latency_ms={k: _mean([s.latency_ms.get(k) for s in fresh]) for k in keys},
        p99_series=tuple(s.latency_ms.get("p99") for s in fresh),
        target_series=tuple(s.target_rate for s in fresh),
        backlog_series=tuple(s.backlog for s in fresh),
        sample_times=tuple(s.ts for s in fresh),
        taskmanagers=last.taskmanagers,
        total_slots=last.total_slots,
        free_slots=last.free_slots,
        node_cpu=node_cpu,
        slot_nodes=slot_nodes,
        latency_matrix=latency_matrix,
        slot_limit=slot_limit,
    )


def _topological(names: list[str], edges: dict[str, tuple[str, ...]]) -> list[str]:
    done: list[str] = []
    pending = list(names)
    for _ in range(len(names) + 1):
        rest = [n for n in pending if not all(u in done or u not in names for u in edges.get(n, ()))]
        done.extend(n for n in pending if n not in rest)
        pending = rest
        if not pending:
            break
    return done + pending
