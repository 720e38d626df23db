"""Process facts read from /proc: identity that survives pid reuse, run state, socket ports, fault markers.

A pid alone is not an identity (the kernel reuses it), so every undo step that touches a process also records the
process's start time and acts only when both still match.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

MARKER_ENV = "SCALETUI_FAULT"
"""Environment variable set on every process a fault spawns, so a revert finds them even without their pids."""


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def run_state(pid: int) -> str | None:
    """The one-letter state from /proc (R, S, T stopped, Z zombie, ...), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return stat[stat.rindex(")") + 2]


def same_process(pid: int, start: int) -> bool:
    """True when `pid` still names the process that had start time `start`."""
    return start_time(pid) == start


def send_signal(pid: int, start: int, sig: signal.Signals) -> bool:
    """Signal the process only if it is still the one we recorded; returns whether a signal was sent."""
    if not same_process(pid, start):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def marked_pids(marker: str) -> list[int]:
    """Live (non-zombie) processes whose environment carries SCALETUI_FAULT=<marker>."""
    return [pid for pid, found in fault_markers().items() if found == marker]


def fault_markers() -> dict[int, str]:
    """Every live (non-zombie) process carrying SCALETUI_FAULT, with its marker (the fault id); processes whose
    environment cannot be read (other users', without root) are not seen."""
    prefix = f"{MARKER_ENV}=".encode()
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            env = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        marker = next((var[len(prefix) :] for var in env.split(b"\0") if var.startswith(prefix)), None)
        if marker is not None and run_state(int(entry.name)) not in (None, "Z"):
            found[int(entry.name)] = marker.decode(errors="replace")
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def tcp_ports(pid: int, listening_only: bool = False) -> list[int]:
    """Local TCP ports of the process's sockets (listening and connected), read in its own network namespace."""
    inodes = _socket_inodes(pid)
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and int(cols[9]) in inodes and (not listening_only or cols[3] == "0A"):
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return sorted(ports)
