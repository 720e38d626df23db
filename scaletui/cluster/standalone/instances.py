"""The local cluster's processes as `Instance`s: state from the process and the JobManager, usage from /proc."""

from __future__ import annotations

from collections.abc import Mapping

from scaletui.cluster.base import Instance, InstanceState
from scaletui.errors import PlatformError
from scaletui.flink.proc_stats import ProcStats
from scaletui.flink.processes import exited, stopped
from scaletui.flink.standalone import LocalFlinkCluster


def list_instances(cluster: LocalFlinkCluster, stats: ProcStats, restarts: Mapping[str, int]) -> list[Instance]:
    """JobManager first, then TaskManagers by name; a TaskManager not yet registered is "starting", a process a pause
    fault stopped "paused" (it read "starting" once the JobManager lost its heartbeat)."""
    registered: dict[str, dict[str, object]] = {}
    if cluster.running:
        try:
            registered = cluster.registered()
        except PlatformError:
            registered = {}
    out = []
    for proc in sorted(cluster.processes(), key=lambda p: (p.role != "jobmanager", p.name)):
        usage = stats.usage(proc.pid)
        tm = registered.get(proc.name)
        state: InstanceState
        if exited(proc):
            state = "failed"
        elif stopped(proc.pid):
            state = "paused"
        elif proc.role == "jobmanager" or tm is not None:
            state = "running"
        else:
            state = "starting"
        total = int(str(tm["slotsNumber"])) if tm else None
        free = int(str(tm["freeSlots"])) if tm else None
        out.append(
            Instance(
                name=proc.name,
                role="jobmanager" if proc.role == "jobmanager" else "taskmanager",
                state=state,
                started_at=proc.started_at,
                restarts=restarts.get(proc.name, 0),
                cpu_cores=usage.cpu_cores,
                memory_bytes=usage.rss_bytes,
                slots_used=total - free if total is not None and free is not None else None,
                slots_total=total,
                pid=proc.pid,
            )
        )
    return out
