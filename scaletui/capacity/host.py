"""This machine as one capacity row: what bounds `+` (one more TaskManager) on the local platform.

Locally every TaskManager is a JVM process on this machine, and Flink's telemetry gives each one's heap, not the
machine's memory; so the capacity view reads the machine itself: its cores and the load average over the last
minute (/proc/loadavg), its memory and what the kernel can still give a new process without swapping
(MemAvailable in /proc/meminfo). A new TaskManager fits while its memory does: CPU is shared, only slower, which
the CPU columns show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scaletui.capacity.config import TaskManagerSize
from scaletui.capacity.node import NodeCapacityRow, ResourceView, fit_count

HOST = "this machine"


@dataclass(frozen=True)
class HostSample:
    cores: float
    load: float | None
    """Runnable processes averaged over the last minute, as cores busy (None where /proc/loadavg is missing)."""
    memory_total: float | None
    memory_available: float | None


def read_host(proc: Path = Path("/proc")) -> HostSample:
    load: float | None = None
    try:
        load = float((proc / "loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    info: dict[str, float] = {}
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            fields = rest.split()
            if fields and fields[0].isdigit():
                info[key] = float(fields[0]) * (1024 if fields[1:2] == ["kB"] else 1)
    except OSError:
        pass
    return HostSample(
        cores=float(os.cpu_count() or 1),
        load=load,
        memory_total=info.get("MemTotal"),
        memory_available=info.get("MemAvailable", info.get("MemFree")),
    )


def host_row(sample: HostSample, taskmanagers: int, tm: TaskManagerSize) -> NodeCapacityRow:
    """Booked = the TaskManagers running here at the configured size; free = measured; +TMs by memory available."""
    cpu_used = min(sample.load, sample.cores) if sample.load is not None else None
    cpu = ResourceView(
        size=sample.cores,
        booked=taskmanagers * tm.cpu,
        used=cpu_used,
        seen_as_used=cpu_used if cpu_used is not None else 0.0,
        free=sample.cores - (cpu_used or 0.0),
    )
    memory = None
    fits = None
    if sample.memory_total is not None and sample.memory_available is not None:
        used = sample.memory_total - sample.memory_available
        memory = ResourceView(
            size=sample.memory_total,
            booked=float(taskmanagers * tm.memory),
            used=used,
            seen_as_used=used,
            free=sample.memory_available,
        )
        fits = fit_count(sample.memory_available, tm.memory)
    return NodeCapacityRow(node=HOST, strategy="measured", scopes=0, cpu=cpu, memory=memory, taskmanagers_fit=fits)
