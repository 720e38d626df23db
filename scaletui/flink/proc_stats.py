"""CPU and memory of our own processes from /proc: what a Pods pane shows for a process as it would for a pod."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIN_INTERVAL_S = 0.2


@dataclass(frozen=True)
class ProcUsage:
    cpu_cores: float | None
    rss_bytes: int | None


@dataclass
class ProcStats:
    """Remembers each PID's last CPU time so the next call gives cores used since then (None on the first call).

    A call less than MIN_INTERVAL_S after the one before (the Pods pane's poll, then a Describe) gives the figure of
    that one and keeps its reading as the base: a describe right after a poll showed no CPU at all."""

    _last: dict[int, tuple[float, float, float | None]] = field(default_factory=dict)

    def usage(self, pid: int) -> ProcUsage:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            statm = Path(f"/proc/{pid}/statm").read_text()
        except OSError:
            self._last.pop(pid, None)
            return ProcUsage(None, None)
        fields = stat.rsplit(")", 1)[1].split()
        cpu_s = (int(fields[11]) + int(fields[12])) / _TICKS
        rss = int(statm.split()[1]) * _PAGE
        now = time.monotonic()
        before = self._last.get(pid)
        if before is not None and now - before[0] < MIN_INTERVAL_S:
            return ProcUsage(before[2], rss)
        cores = None if before is None else max(0.0, (cpu_s - before[1]) / (now - before[0]))
        self._last[pid] = (now, cpu_s, cores)
        return ProcUsage(cores, rss)
