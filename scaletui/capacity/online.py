"""Online mode: per-node estimates kept up to date from the session's live telemetry.

`LiveCapacity` listens to MetricsEvent on the EventBus (each carrying a `metrics.model.JobSample` whose `nodes`
are NodeSample), cuts each node's samples into scopes and answers the capacity view and the scaling controller:
how many more TaskManagers fit on a node, and whether the next one fits on a node already reserved or needs a
new node. Stale samples are skipped. Handlers run in the publisher's thread; a lock guards the state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from scaletui.capacity.config import CapacityConfig, TaskManagerSize
from scaletui.capacity.node import NodeCapacity, NodeCapacityRow
from scaletui.events import Event, EventBus, MetricsEvent
from scaletui.metrics.model import JobSample
from scaletui.wording import counted


@dataclass(frozen=True)
class Placement:
    """Where the next TaskManager should go: `node` when one already reserved has room, else a new node."""

    node: str | None
    fits: int
    new_node_needed: bool
    reason: str


def node_order(name: str) -> tuple[str, int, str]:
    """node-2 before node-10: the name's text, then its trailing number."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem) :]
    return (stem, int(digits) if digits else -1, name)


class LiveCapacity:
    """Capacity estimates of every node seen in the live telemetry; subscribe with `attach`, stop with `close`."""

    def __init__(self, config: CapacityConfig | None = None, keep_records: int = 500) -> None:
        self.config = config or CapacityConfig()
        self._keep = keep_records
        self._nodes: dict[str, NodeCapacity] = {}
        self._booked: dict[str, tuple[float | None, float | None]] = {}
        self._lock = threading.Lock()
        self._unsubscribe: list[Callable[[], None]] = []

    def attach(self, bus: EventBus) -> LiveCapacity:
        self._unsubscribe.append(bus.subscribe(self._on_event, MetricsEvent))
        return self

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def _on_event(self, event: Event) -> None:
        sample = getattr(event, "sample", None)
        if isinstance(sample, JobSample):
            self.observe(sample)

    def observe(self, sample: JobSample) -> None:
        """Account for one telemetry sample (what the bus subscription calls)."""
        if sample.stale:
            return
        with self._lock:
            for name, ns in sample.nodes.items():
                node = self._nodes.get(name)
                if node is None:
                    node = NodeCapacity(name, self.config, keep_records=self._keep)
                    if name in self._booked:
                        node.set_booked(*self._booked[name])
                    self._nodes[name] = node
                memory = float(ns.memory_bytes) if ns.memory_bytes is not None else None
                memory_total = float(ns.memory_total) if ns.memory_total is not None else None
                node.add(sample.ts, ns.cpu_cores, memory, ns.cpu_total, memory_total)

    def set_booked(self, node: str, cpu: float | None, memory: float | None) -> None:
        """What is reserved on `node` (cores, bytes); unknown bookings count as the whole node."""
        with self._lock:
            self._booked[node] = (cpu, memory)
            if node in self._nodes:
                self._nodes[node].set_booked(cpu, memory)

    def set_taskmanagers(self, node: str, count: int, taskmanager: TaskManagerSize | None = None) -> None:
        """Booked = `count` TaskManagers of the configured (or given) size."""
        tm = taskmanager or self.config.taskmanager
        self.set_booked(node, count * tm.cpu, float(count * tm.memory))

    def nodes(self) -> list[str]:
        with self._lock:
            return sorted(self._nodes)

    def rows(
        self, taskmanager: TaskManagerSize | None = None, placement: Mapping[str, tuple[int, int]] | None = None
    ) -> list[NodeCapacityRow]:
        """Per node, sorted by name: booked / used / seen as used / estimated free, and TaskManagers that fit.

        `placement` is given by a platform that places TaskManagers itself on nodes that run nothing else (the
        simulator): per node, the TaskManagers it hosts and how many more it would still place there. Each such
        node is listed, measured or not, booked with exactly its TaskManagers (none: nothing booked, where an
        unknown booking would count the whole node), and its TaskManagers that fit are capped by that room, so
        the column never promises one `+` would put elsewhere or refuse.
        """
        tm = taskmanager or self.config.taskmanager
        with self._lock:
            for name, (placed, _) in (placement or {}).items():
                booked = (placed * tm.cpu, float(placed * tm.memory))
                if self._booked.get(name) != booked:
                    self._booked[name] = booked
                    if name in self._nodes:
                        self._nodes[name].set_booked(*booked)
            rows = {name: node.row(taskmanager) for name, node in self._nodes.items()}
            strategy = self.config.build_strategy().name
        for name, (_, room) in (placement or {}).items():
            row = rows.get(name) or NodeCapacityRow(name, strategy, 0, None, None, None)
            fit = room if row.taskmanagers_fit is None else min(row.taskmanagers_fit, room)
            rows[name] = replace(row, taskmanagers_fit=fit)
        return [rows[name] for name in sorted(rows, key=node_order)]

    def fits(self, node: str, taskmanager: TaskManagerSize | None = None) -> int | None:
        """How many more TaskManagers fit on `node`; None when the node was never seen or has no size."""
        with self._lock:
            capacity = self._nodes.get(node)
            return capacity.fits(taskmanager) if capacity is not None else None

    def placement(self, taskmanager: TaskManagerSize | None = None, reserved: Iterable[str] | None = None) -> Placement:
        """Does another TaskManager fit on a reserved node (the one with most room wins) or is a new node needed.

        `reserved` limits the choice to those nodes (default: every node seen in the telemetry).
        """
        with self._lock:
            names = sorted(self._nodes) if reserved is None else sorted(set(reserved))
            counts = {n: self._nodes[n].fits(taskmanager) for n in names if n in self._nodes}
        known = {n: c for n, c in counts.items() if c is not None}
        unknown = [n for n in names if counts.get(n) is None]
        best = min(known, key=lambda n: (-known[n], n), default=None)
        if best is not None and known[best] > 0:
            room = counted(known[best], "more TaskManager")
            return Placement(best, known[best], False, f"{best} has room for {room} by the estimate")
        why = "no reserved node has room left by the estimate"
        if unknown:
            why += f" ({', '.join(unknown)} not measured yet)"
        return Placement(None, 0, True, why)
