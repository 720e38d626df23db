"""What Pods' `l`, `d` and `c` show: the Flink log rather than the 3-line console file, values a person reads (dates
and ages, CPU in %, memory in MiB), and this machine's real free memory with the TaskManagers `+` can still add."""

from __future__ import annotations

import os
import time
from pathlib import Path

from scaletui.capacity.config import TaskManagerSize
from scaletui.capacity.host import HOST, host_row, read_host
from scaletui.cluster.base import Instance
from scaletui.engine.inspect import describe_lines, flink_log
from scaletui.tui.panes.pods import capacity_row


def test_the_log_is_flinks_own_file_beside_the_console(tmp_path: Path) -> None:
    """Names as Flink's launcher writes them with FLINK_IDENT_STRING set to the instance name."""
    console = tmp_path / "taskmanager-1.console"
    console.write_text("Starting taskexecutor daemon\n")
    old = tmp_path / "flink-taskmanager-1-taskexecutor-0-host.log"
    old.write_text("old run\n")
    os.utime(old, (time.time() - 100, time.time() - 100))
    new = tmp_path / "flink-taskmanager-1-taskexecutor-1-host.log"
    new.write_text("INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor - Starting\n")
    (tmp_path / "flink-taskmanager-10-taskexecutor-0-host.log").write_text("another instance\n")
    assert flink_log(console, "taskmanager-1") == new
    assert flink_log(tmp_path / "jobmanager.console", "jobmanager") is None


def test_describe_shows_dates_ages_percent_and_mib() -> None:
    now = time.time()
    tm = Instance("taskmanager-1", "taskmanager", "running", started_at=now - 3725, cpu_cores=0.8504926223368575,
                  memory_bytes=1_268_776_960, slots_used=1, slots_total=2)  # fmt: skip
    text = "\n".join(describe_lines(tm, now))
    assert time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - 3725)) in text
    assert "(1h 02m ago)" in text
    assert "85% of a core" in text and "1,210 MiB" in text
    assert "0.8504926223368575" not in text and str(now - 3725) not in text


def test_capacity_on_this_machine_counts_what_plus_can_add(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "loadavg").write_text("1.50 1.20 1.00 2/300 12345\n")
    (proc / "meminfo").write_text("MemTotal:       24576000 kB\nMemFree:  1000 kB\nMemAvailable:   18432000 kB\n")
    sample = read_host(proc)
    tm = TaskManagerSize(cpu=1.0, memory=1728 * 2**20)
    row = host_row(sample, taskmanagers=2, tm=tm)
    assert row.node == HOST and row.memory is not None and row.cpu is not None
    assert row.memory.free == 18_432_000 * 1024
    assert row.taskmanagers_fit == (18_432_000 * 1024) // (1728 * 2**20) == 10
    assert row.cpu.used == 1.5
    cells = capacity_row(row)[1]
    assert cells[4] == "17.6G" and cells[5] == "10" and cells[6] == "measured now"


def test_capacity_reads_the_real_machine() -> None:
    sample = read_host()
    assert sample.memory_total and sample.memory_available and 0 < sample.memory_available <= sample.memory_total
    row = host_row(sample, 0, TaskManagerSize())
    assert row.taskmanagers_fit is not None and row.taskmanagers_fit >= 0
