"""A process a pause fault stopped reads "paused", not "starting" (the JobManager loses its heartbeat, and a
TaskManager it no longer lists looked like one still registering)."""

from __future__ import annotations

import signal
import subprocess
import time

from scaletui.flink.processes import pid_alive, stopped


def test_a_stopped_process_is_told_from_a_running_one() -> None:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        assert pid_alive(proc.pid) and not stopped(proc.pid)
        proc.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not stopped(proc.pid):
            assert time.monotonic() < deadline, "SIGSTOP never showed in /proc"
            time.sleep(0.01)
        assert pid_alive(proc.pid)
        proc.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 10
        while stopped(proc.pid):
            assert time.monotonic() < deadline, "SIGCONT never showed in /proc"
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait(10)
    assert not stopped(proc.pid), "a process gone is not paused"
