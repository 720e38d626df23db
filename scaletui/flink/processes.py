"""Flink processes we start: launch, recognise after a restart of scaletui, and stop by our own PIDs.

Each JobManager/TaskManager is its JVM, started with the command Flink's `bin/<role>.sh start-foreground` would exec
(jvm_command.py), so the PID we launch is the JVM's PID. Each gets its own session (process group) so it outlives a
crash of scaletui and can be adopted; a JSON pid file per process under the cluster's `pids/` directory records it
even when no session file is saved.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from scaletui.errors import PlatformError
from scaletui.flink.jvm_command import JvmLaunch


@dataclass
class FlinkProcess:
    """One process of the cluster; `popen` is set only when this scaletui started it (then we reap it)."""

    name: str
    role: str
    pid: int
    ports: list[int] = field(default_factory=list)
    started_at: float = 0.0
    log_file: str = ""
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def record(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "popen"}


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stopped(pid: int) -> bool:
    """True while `pid` is stopped by a signal (a pause fault's SIGSTOP): alive, but answering nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


def belongs_to(pid: int, conf_dir: Path) -> bool:
    """True if `pid` is a Flink process of the cluster whose configuration is `conf_dir` (not a reused PID)."""
    marker = str(conf_dir).encode()
    for source in (f"/proc/{pid}/cmdline", f"/proc/{pid}/environ"):
        try:
            if marker in Path(source).read_bytes():
                return True
        except OSError:
            continue
    return False


def launch(name: str, role: str, command: JvmLaunch, log_dir: Path) -> FlinkProcess:
    """Start one JobManager or TaskManager JVM, detached into its own session; its output goes to `<name>.console`."""
    env = {**os.environ, **command.env}
    console = log_dir / f"{name}.console"
    with console.open("ab") as out:
        out.write(f"Starting {role} {name}: {shlex.join(command.argv)}\n".encode())
        out.flush()
        popen = subprocess.Popen(
            command.argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    return FlinkProcess(name, role, popen.pid, [], time.time(), str(console), popen)


def write_pid_file(pid_dir: Path, proc: FlinkProcess) -> None:
    path = pid_dir / f"{proc.name}.scaletui.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(proc.record()))
    tmp.replace(path)


def read_pid_files(pid_dir: Path) -> list[FlinkProcess]:
    found = []
    for path in sorted(pid_dir.glob("*.scaletui.json")):
        try:
            data = json.loads(path.read_text())
            found.append(FlinkProcess(**data))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
    return found


def remove_pid_files(pid_dir: Path, name: str) -> None:
    """Our JSON record and the Flink script's own pid file for this process."""
    (pid_dir / f"{name}.scaletui.json").unlink(missing_ok=True)
    for path in pid_dir.glob(f"flink-{name}-*.pid"):
        path.unlink(missing_ok=True)


def exited(proc: FlinkProcess) -> bool:
    if proc.popen is not None:
        return proc.popen.poll() is not None
    return not pid_alive(proc.pid)


def terminate(proc: FlinkProcess, grace_s: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL after `grace_s`; reaps our own children. Only ever our PIDs."""
    if exited(proc):
        return
    _signal_group(proc.pid, signal.SIGTERM)
    if _wait_gone(proc, grace_s):
        return
    _signal_group(proc.pid, signal.SIGKILL)
    if not _wait_gone(proc, 10.0):
        raise PlatformError(f"Flink process {proc.name} (pid {proc.pid}) did not stop.", f"Run `kill -9 {proc.pid}`.")


def kill_hard(proc: FlinkProcess) -> None:
    """SIGKILL at once (a crash, as chaos and tests inject it)."""
    _signal_group(proc.pid, signal.SIGKILL)
    _wait_gone(proc, 10.0)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_gone(proc: FlinkProcess, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.popen is not None:
            try:
                proc.popen.wait(timeout=0.1)
                return True
            except subprocess.TimeoutExpired:
                continue
        if not pid_alive(proc.pid):
            return True
        time.sleep(0.1)
    return exited(proc)


def tail(path: str | Path, lines: int = 20) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
