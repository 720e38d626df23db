"""`l` and `d` on a selected instance, k9s-style: its recent log and a description, from whichever backend runs."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from scaletui.errors import UserError

if TYPE_CHECKING:
    from scaletui.engine.core import Engine

TAIL = 300


def _cluster(engine: Engine):  # type: ignore[no-untyped-def]
    cluster = engine.active_cluster()
    if cluster is None:
        raise UserError("No cluster is running.", "Start one with s in the Pods pane.")
    return cluster


def instance_logs(engine: Engine, name: str, tail: int = TAIL) -> str:
    """The last `tail` lines: pod logs on Kubernetes, the process's log file locally."""
    cluster = _cluster(engine)
    if hasattr(cluster, "logs") and callable(cluster.logs):
        return str(cluster.logs(name, tail))
    local = getattr(cluster, "cluster", None)
    if local is None or not hasattr(local, "process"):
        raise UserError(f"The {cluster.name} backend keeps no logs for {name}.")
    try:
        path = Path(local.process(name).log_file)
    except KeyError:
        raise UserError(f"No instance named {name}.") from None
    if not path.is_file():
        return f"(no log yet at {path})"
    with path.open(encoding="utf-8", errors="replace") as f:
        return f"{path}\n" + "".join(deque(f, maxlen=tail))


def describe_instance(engine: Engine, name: str) -> str:
    """Kubernetes' own describe for a pod; locally, what scaletui knows of the process."""
    cluster = _cluster(engine)
    if hasattr(cluster, "describe") and callable(cluster.describe):
        return str(cluster.describe(name))
    for instance in cluster.instances():
        if instance.name == name:
            lines = [f"{field}: {getattr(instance, field)}" for field in instance.__dataclass_fields__]
            if instance.pid is not None:
                cmdline = Path(f"/proc/{instance.pid}/cmdline")
                if cmdline.is_file():
                    args = cmdline.read_bytes().split(b"\0")
                    lines.append("command: " + " ".join(a.decode(errors="replace") for a in args[:6]) + " ...")
            return "\n".join(lines)
    raise UserError(f"No instance named {name}.")
