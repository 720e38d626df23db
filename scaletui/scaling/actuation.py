"""How a decision is carried out: in what order the cluster is changed, off which thread, and how it is named.

On a wall clock an actuation takes seconds to minutes (a TaskManager pod scheduled, the job restarted), so the
controller hands it to an `ActuationThread` and goes on sampling; on a simulated clock the actuation's wait is what
moves time, so it stays in the caller's thread.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from scaletui.cluster.base import ClusterBackend
from scaletui.events import ActuationEvent, EventBus
from scaletui.scaling.observation import Decision, Observation

log = logging.getLogger(__name__)


class ActuationThread:
    """Actuations one at a time, in the order they were started, off the thread that decided them. Shared by every
    controller of a run and by the run's changes by hand, so a strategy swapped in mid-rescale, or a TaskManager
    added by key, waits for the rescale started before it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._works: deque[Callable[[], object]] = deque()
        self._thread: threading.Thread | None = None

    def busy(self) -> bool:
        with self._lock:
            return self._thread is not None

    def start(self, work: Callable[[], object]) -> None:
        """Run `work` once those started before it have ended."""
        with self._lock:
            self._works.append(work)
            if self._thread is None:
                self._thread = threading.Thread(target=self._drain, name="scaling-actuation", daemon=True)
                self._thread.start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._works:
                    self._thread = None
                    return
                work = self._works.popleft()
            try:
                work()
            except Exception:  # each work reports its own failure; this keeps the next ones running
                log.exception("an actuation failed")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running actuations to end; False when `timeout` passed first."""
        with self._lock:
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()


def act(
    cluster: ClusterBackend, bus: EventBus, decision: Decision, changes: dict[str, int], obs: Observation
) -> list[ActuationEvent]:
    """TaskManagers up before the rescale, down after it, so the job always has the slots it is given."""
    events: list[ActuationEvent] = []
    tms, current = decision.taskmanagers, obs.taskmanagers
    if tms is not None and current is not None and tms > current:
        events.append(cluster.set_taskmanagers(tms))
    if changes:
        events.append(cluster.set_parallelism(changes))
    if tms is not None and current is not None and tms < current:
        events.append(cluster.set_taskmanagers(tms))
    if getattr(cluster, "bus", None) is not bus:  # a backend on our bus reports its own actuations
        for event in events:
            bus.publish(event)
    return events


def acting_text(changes: dict[str, int], obs: Observation, taskmanagers: int | None) -> str:
    """What an actuation does, for the strategy line: "rescaling expensive 1->3, TaskManagers 1->2"."""
    parts = [f"{name} {obs.parallelism.get(name, '?')}->{p}" for name, p in sorted(changes.items())]
    if taskmanagers is not None:
        parts.append(f"TaskManagers {obs.taskmanagers}->{taskmanagers}")
    return "rescaling " + ", ".join(parts)
