"""A worker that measures the latency matrix every `interval` seconds and publishes it as a LatencyEvent.

The source is Consul's coordinates on a testbed or connect probes locally; a source that fails is reported once
per outage and retried at the next interval.
"""

from __future__ import annotations

import threading
from typing import Protocol

from scaletui.events import ErrorEvent, EventBus, LatencyEvent
from scaletui.latency.matrix import LatencyMatrix


class LatencySource(Protocol):
    def matrix(self) -> LatencyMatrix: ...


class LatencyMonitor:
    """Polls a LatencySource in a daemon thread; `latest` is the last matrix (None before the first)."""

    def __init__(self, source: LatencySource, bus: EventBus, interval_s: float = 5.0) -> None:
        self.source = source
        self.bus = bus
        self.interval_s = interval_s
        self.latest: LatencyMatrix | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def measure(self) -> LatencyMatrix | None:
        """One measurement now; publishes it (or the failure) and returns it."""
        try:
            matrix = self.source.matrix()
        except Exception as e:
            if not self._failing:
                self.bus.publish(
                    ErrorEvent(
                        source="latency",
                        message=f"Latency measurement failed: {e}",
                        hint="The matrix keeps its last values; it is retried.",
                    )
                )
            self._failing = True
            return None
        self._failing = False
        self.latest = matrix
        self.bus.publish(LatencyEvent(source="latency", matrix=matrix))
        return matrix

    def start(self) -> LatencyMonitor:
        self._thread = threading.Thread(target=self._run, name="latency-monitor", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._cancel.is_set():
            self.measure()
            self._cancel.wait(self.interval_s)

    def stop(self) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
