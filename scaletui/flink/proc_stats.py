"""CPU and memory of our own processes from /proc: what a Pods pane shows for a process as it would for a pod."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class ProcUsage:
    cpu_cores: float | None
    rss_bytes: int | None


@dataclass
class ProcStats:
    """Remembers each PID's last CPU time so the next call gives cores used since then (None on the first call)."""

    _last: dict[int, tuple[float, float]] = field(default_factory=dict)

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
        self._last[pid] = (now, cpu_s)
        cores = None
        if before is not None and now - before[0] >= 0.2:
            cores = max(0.0, (cpu_s - before[1]) / (now - before[0]))
        return ProcUsage(cores, rss)
