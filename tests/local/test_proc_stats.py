"""A process's CPU as the Pods pane and Describe show it, read from /proc for this test's own process."""

from __future__ import annotations

import os
import time

from scaletui.flink.proc_stats import MIN_INTERVAL_S, ProcStats


def burn_until(deadline: float) -> None:
    """Use CPU (not sleep) until `deadline`, so the process has some to show."""
    while time.monotonic() < deadline:
        sum(i * i for i in range(1000))


def test_a_reading_right_after_another_shows_its_figure_instead_of_none() -> None:
    """The Pods pane polls every second and a Describe reads again at once: within MIN_INTERVAL_S of the poll it
    showed no CPU ('cpu -'; tests/tui/test_live_local.py failed so once)."""
    stats, pid = ProcStats(), os.getpid()
    assert stats.usage(pid).cpu_cores is None, "nothing to compare the first reading with"
    burn_until(time.monotonic() + MIN_INTERVAL_S + 0.1)
    polled = stats.usage(pid).cpu_cores
    assert polled is not None and polled > 0
    again = stats.usage(pid)
    assert again.cpu_cores is not None and again.rss_bytes
    burn_until(time.monotonic() + MIN_INTERVAL_S + 0.1)
    later = stats.usage(pid).cpu_cores
    assert later is not None and later > 0
