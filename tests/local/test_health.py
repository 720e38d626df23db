"""The local cluster's process check when a process will not start again. The restart itself runs on real Flink in
tests/local/test_cluster.py; here the cluster is a stand-in whose restarts fail, because making a real JobManager
fail to start (its port taken) costs its 90 s start deadline per try."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from scaletui.cluster.standalone.health import ProcessHealth
from scaletui.errors import PlatformError
from scaletui.events import ErrorEvent, EventBus


@dataclass
class Proc:
    role: str


@dataclass
class DeadCluster:
    """Every process has exited, and none will start: a JobManager whose port another program took."""

    names: tuple[str, ...] = ("jobmanager", "taskmanager-1")
    tries: list[str] = field(default_factory=list)

    def exited(self) -> list[str]:
        return list(self.names)

    def process(self, name: str) -> Proc:
        return Proc("jobmanager" if name == "jobmanager" else "taskmanager")

    def restart_jobmanager(self, name: str) -> None:
        self.tries.append(name)
        raise PlatformError("Port 8081 is taken.")

    def restart_taskmanager(self, name: str) -> None:
        self.tries.append(name)


def test_a_jobmanager_that_will_not_start_is_said_once_and_not_retried_every_second() -> None:
    """It was retried on every check (each a 90 s wait), the screen kept saying it was being started again, and the
    TaskManagers waited on it for good."""
    bus, said, errors = EventBus(), [], []
    bus.subscribe(errors.append, ErrorEvent)  # type: ignore[arg-type]
    cluster = DeadCluster()
    health = ProcessHealth(cluster, bus, threading.Lock(), said.append, lambda: None)  # type: ignore[arg-type]
    for _ in range(3):
        assert health.check(restart_dead=True) == []
    assert cluster.tries == ["jobmanager"], cluster.tries  # once; no TaskManager against the dead JobManager
    assert [e.message for e in errors] == ["Could not start jobmanager again: Port 8081 is taken."]
    assert "S, then s" in errors[0].hint and said == ["jobmanager died", "taskmanager-1 died"]
    health.reset()  # the cluster started afresh: a later death is tried again
    health.check(restart_dead=True)
    assert cluster.tries == ["jobmanager", "jobmanager"]
