"""How much of this machine's CPU other work took while a live run measured: its figures assume the job had the
machine to itself (benchmarks/scaling_live.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class OtherCpu:
    """CPU time the rest of the machine used, from /proc: all busy time minus the cluster's processes' and this
    one's. A process seen at both ends of an interval counts what it used in it; one started during the interval (a
    new TaskManager) counts all it used, so its start-up is not taken for other work."""

    def __init__(self) -> None:
        self.total = self.other = 0
        self._last: tuple[int, int, float, dict[int, int]] | None = None
        self._tick = os.sysconf("SC_CLK_TCK")

    @property
    def share(self) -> float | None:
        return self.other / self.total if self.total else None

    def sample(self, backend: Any) -> None:
        """`backend.cluster.processes()` lists the cluster's processes without asking Flink (the REST call behind
        `instances()` each second would be load of its own)."""
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
            uptime = float(Path("/proc/uptime").read_text().split()[0]) * self._tick
        except (OSError, ValueError):
            return
        total, busy = sum(fields), sum(fields) - fields[3] - fields[4]
        pids = {os.getpid(), *(p.pid for p in backend.cluster.processes())}
        ours = {pid: t for pid in pids if (t := _process_jiffies(pid)) is not None}
        if self._last is not None:
            last_total, last_busy, last_uptime, last_ours = self._last
            mine = sum(
                used - last_ours.get(pid, 0)
                for pid, (used, started) in ours.items()
                if pid in last_ours or started >= last_uptime
            )
            self.total += total - last_total
            self.other += max(0, busy - last_busy - mine)
        self._last = (total, busy, uptime, {pid: used for pid, (used, _) in ours.items()})


def _process_jiffies(pid: int) -> tuple[int, int] | None:
    """utime + stime of a process and its threads, and when it started, in clock ticks since boot (fields 14, 15 and
    22 of /proc/PID/stat)."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(after_name[11]) + int(after_name[12]), int(after_name[19])
