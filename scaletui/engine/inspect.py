"""`l` and `d` on a selected instance, k9s-style: its recent log and a description, from whichever backend runs.

Locally a Flink process writes two files: `<name>.console` (its stdout, a few lines of launcher output) and the
log4j log `flink-<name>-<service>-<host>.log` in the same directory, which is the one people want to read.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaletui.errors import UserError

if TYPE_CHECKING:
    from scaletui.cluster.base import Instance
    from scaletui.engine.core import Engine

TAIL = 300


def _cluster(engine: Engine):  # type: ignore[no-untyped-def]
    cluster = engine.active_cluster()
    if cluster is None:
        raise UserError("No cluster is running.", "Start one with s in the Pods pane.")
    return cluster


def flink_log(console: Path, name: str) -> Path | None:
    """The newest log4j log of the process `name`, beside its console file (FLINK_IDENT_STRING is its name)."""
    logs = [p for p in console.parent.glob(f"flink-{name}-*.log") if p.is_file()]
    return max(logs, key=lambda p: p.stat().st_mtime) if logs else None


def tail(path: Path, lines: int) -> str:
    with path.open(encoding="utf-8", errors="replace") as f:
        return "".join(deque(f, maxlen=lines))


def instance_logs(engine: Engine, name: str, lines: int = TAIL) -> str:
    """The last `lines` lines: pod logs on Kubernetes; locally the process's Flink log, else its console output."""
    cluster = _cluster(engine)
    if hasattr(cluster, "logs") and callable(cluster.logs):
        return str(cluster.logs(name, lines))
    local = getattr(cluster, "cluster", None)
    if local is None or not hasattr(local, "process"):
        raise UserError(f"The {cluster.name} backend keeps no logs for {name}.")
    try:
        console = Path(local.process(name).log_file)
    except KeyError:
        raise UserError(f"No instance named {name}.") from None
    log = flink_log(console, name)
    if log is not None:
        return f"{log}\n{tail(log, lines)}"
    if console.is_file():
        return f"{console} (Flink has written no log file yet; this is the process's console output)\n" + tail(
            console, lines
        )
    return f"(no log yet in {console.parent})"


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def describe_value(field: str, value: Any, now: float) -> str:
    """A field as a person reads it: times as a date and an age, CPU as a percentage of a core, memory in MiB."""
    if value is None:
        return "-"
    if field == "started_at":
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
        return f"{stamp} ({age(now - value)} ago)"
    if field == "cpu_cores":
        return f"{value * 100:.0f}% of a core"
    if field == "memory_bytes":
        return f"{value / 2**20:,.0f} MiB"
    return str(value)


def describe_lines(instance: Instance, now: float) -> list[str]:
    labels = {
        "started_at": "started",
        "cpu_cores": "cpu",
        "memory_bytes": "memory",
        "slots_used": "slots used",
        "slots_total": "slots",
    }
    width = max(len(labels.get(f.name, f.name)) for f in fields(instance))
    return [
        f"{labels.get(f.name, f.name):<{width}}  {describe_value(f.name, getattr(instance, f.name), now)}"
        for f in fields(instance)
    ]


def describe_instance(engine: Engine, name: str) -> str:
    """Kubernetes' own describe for a pod; locally, what scaletui knows of the process, formatted."""
    cluster = _cluster(engine)
    if hasattr(cluster, "describe") and callable(cluster.describe):
        return str(cluster.describe(name))
    for instance in cluster.instances():
        if instance.name == name:
            lines = describe_lines(instance, time.time())
            if instance.pid is not None:
                cmdline = Path(f"/proc/{instance.pid}/cmdline")
                if cmdline.is_file():
                    args = cmdline.read_bytes().split(b"\0")
                    lines.append("command  " + " ".join(a.decode(errors="replace") for a in args[:6]) + " ...")
            return "\n".join(lines)
    raise UserError(f"No instance named {name}.")
