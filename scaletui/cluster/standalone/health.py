"""The local cluster's process check, run every second: a Flink process that died is said once and started again.

The JobManager first, on its ports (its job is lost: no high availability), then the TaskManagers, which cannot
register with a dead JobManager (restarts against one failed with tracebacks and left orphans that joined the next
cluster). A process that will not start is said once and left down until the cluster starts afresh: a JobManager
whose port is taken would otherwise be retried every second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from scaletui.errors import PlatformError
from scaletui.events import ErrorEvent, EventBus
from scaletui.flink.standalone import LocalFlinkCluster

JOBMANAGER_NAME = "jobmanager"


class ProcessHealth:
    """Which processes died, which were started again (and how often), which would not start."""

    def __init__(
        self,
        cluster: LocalFlinkCluster,
        bus: EventBus,
        act_lock: threading.Lock,
        said: Callable[[str], None],
        jobmanager_died: Callable[[], None],
    ) -> None:
        self.cluster, self.bus, self.act_lock = cluster, bus, act_lock
        self.said, self.jobmanager_died = said, jobmanager_died
        self.failed: set[str] = set()
        self.stuck: set[str] = set()
        self.restarts: dict[str, int] = {}

    @property
    def jobmanager_down(self) -> bool:
        return JOBMANAGER_NAME in self.failed

    def reset(self) -> None:
        """A cluster started afresh: nothing of it has died yet."""
        self.failed.clear()
        self.stuck.clear()

    def check(self, restart_dead: bool) -> list[str]:
        """Say the processes that died; with `restart_dead`, start them again. Returns the names restarted."""
        restarted = []
        for name in sorted(self.cluster.exited(), key=lambda n: n != JOBMANAGER_NAME):
            role = self.cluster.process(name).role
            if name not in self.failed:
                self.failed.add(name)
                self.said(f"{name} died")
                if role == "jobmanager":
                    self.jobmanager_died()
            blocked = role == "taskmanager" and self.jobmanager_down
            if not restart_dead or name in self.stuck or blocked or not self._restart(name, role):
                continue
            self.restarts[name] = self.restarts.get(name, 0) + 1
            self.failed.discard(name)
            restarted.append(name)
            self.said(f"{name} restarted")
        return restarted

    def _restart(self, name: str, role: str) -> bool:
        try:
            with self.act_lock:
                (self.cluster.restart_jobmanager if role == "jobmanager" else self.cluster.restart_taskmanager)(name)
        except PlatformError as e:
            self.stuck.add(name)
            self.bus.publish(ErrorEvent(source="cluster.local", message=f"Could not start {name} again: {e.message}",
                                        hint="Stop and start the cluster (S, then s in the Pods pane)."))  # fmt: skip
            return False
        return True
