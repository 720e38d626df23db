"""What a previous scaletui left of a local cluster: found from the session's records and the pid files, then
adopted by the cluster or stopped, with the records of processes that are gone cleared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaletui.flink import processes as procs
from scaletui.flink.cluster_config import ClusterLayout
from scaletui.flink.processes import FlinkProcess

RecoveryChoice = Literal["adopt", "stop"]


@dataclass(frozen=True)
class Recovery:
    """What `recover` found from a previous run: adopted or stopped processes, and records of dead ones."""

    adopted: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()


def leftovers(layout: ClusterLayout, remembered: tuple[FlinkProcess, ...]) -> list[FlinkProcess]:
    """The processes of the cluster in `layout` a previous scaletui left running (recorded in the session or the pid
    files), still alive and still carrying its configuration directory."""
    found: dict[str, FlinkProcess] = {p.name: p for p in remembered}
    if layout.pids.is_dir():
        for proc in procs.read_pid_files(layout.pids):
            found.setdefault(proc.name, proc)
    return [p for p in found.values() if procs.pid_alive(p.pid) and procs.belongs_to(p.pid, layout.conf)]


def stop_leftovers(layout: ClusterLayout, remembered: tuple[FlinkProcess, ...]) -> Recovery:
    """Stop what a crashed scaletui left and clear its records, needing neither Flink nor Java: `S` in the Pods
    pane stops a leftover cluster without adopting it or starting another."""
    alive = {p.name: p for p in leftovers(layout, remembered)}
    gone = forget_dead(layout, remembered, alive)
    stop_processes(layout, alive)
    return Recovery(stopped=tuple(sorted(alive)), gone=gone)


def forget_dead(
    layout: ClusterLayout, remembered: tuple[FlinkProcess, ...], alive: dict[str, FlinkProcess]
) -> tuple[str, ...]:
    """Remove the pid files of recorded processes no longer alive; their names."""
    recorded = {p.name for p in procs.read_pid_files(layout.pids)} if layout.pids.is_dir() else set()
    recorded |= {p.name for p in remembered}
    gone = tuple(sorted(recorded - set(alive)))
    for name in gone:
        procs.remove_pid_files(layout.pids, name)
    return gone


def stop_processes(layout: ClusterLayout, alive: dict[str, FlinkProcess]) -> None:
    """TaskManagers first, then the JobManager; each record goes with its process."""
    for proc in sorted(alive.values(), key=lambda p: p.role == "jobmanager"):
        procs.terminate(proc)
        procs.remove_pid_files(layout.pids, proc.name)
