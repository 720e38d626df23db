"""Timing of actuations: when issued, when in effect, and when throughput was back at the target (the downtime).

Downtime is measured from metrics, not assumed: the source's rate must come from a measurement that ended after the
change took effect and be within `tolerance` of the target. Past the deadline the downtime stays None (unknown).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scaletui.errors import JobError, UserError
from scaletui.events import ActuationEvent, EventBus
from scaletui.flink.metrics import FlinkMetricsCollector
from scaletui.flink.rest import FlinkRestClient

TOLERANCE = 0.10
KEPT_RUNNING = "the job kept running"
NO_JOB = "no job runs, so none was interrupted"


class DowntimeProbe:
    """Publishes the issued event now; `finish(apply)` runs the change, waits for throughput, publishes the result."""

    def __init__(
        self,
        bus: EventBus,
        collector: FlinkMetricsCollector | None,
        target_rate: Callable[[], float | None],
        kind: Any,
        target: str,
        before: Any,
        after: Any,
        deadline_s: float = 60.0,
        tolerance: float = TOLERANCE,
    ) -> None:
        self.bus, self.collector, self.target_rate = bus, collector, target_rate
        self.kind, self.target, self.before, self.after = kind, target, before, after
        self.deadline_s, self.tolerance = deadline_s, tolerance
        self.started = time.time()
        self._t0 = time.monotonic()
        bus.publish(self._event(message="issued"))

    def _event(self, **changes: Any) -> ActuationEvent:
        return ActuationEvent(source="cluster.local", kind=self.kind, target=self.target, before=self.before,
                              after=self.after, started=self.started, **changes)  # fmt: skip

    def finish(self, apply: Callable[[], float], unaffected: Callable[[], str] | None = None) -> ActuationEvent:
        """`apply` makes the change and returns the monotonic time it was in effect.

        `unaffected`, if given, is asked after the change why there is no throughput to wait back for ("" when there
        is): Flink kept every task running (no restart), or no job runs at all. The downtime is then 0 and we do
        not wait on metrics, which Flink's fetcher can hold back for a while after a TaskManager leaves, and which
        never come without a job (the wait would run to the deadline)."""
        try:
            in_effect = apply()
        except UserError as e:
            self.bus.publish(self._event(ended=time.time(), ok=False, message=e.message))
            raise
        ended = self.started + (in_effect - self._t0)
        why = unaffected() if unaffected is not None else ""
        if why:
            event = self._event(ended=ended, downtime_s=0.0, message=f"done; {why}")
            self.bus.publish(event)
            return event
        recovered = self.wait_for_target(in_effect)
        if recovered is None:
            event = self._event(ended=ended, message=f"throughput not back to target within {self.deadline_s:.0f} s")
        else:
            event = self._event(ended=ended, downtime_s=recovered - self._t0, message="done")
        self.bus.publish(event)
        return event

    def wait_for_target(self, after: float) -> float | None:
        """Monotonic time of the first source measurement after `after` within tolerance of the target, or None."""
        if self.collector is None:
            return None
        deadline = self._t0 + self.deadline_s
        while time.monotonic() < deadline:
            rates = self.collector.source_rate()
            target = self.target_rate()
            fresh = rates.measured_at is not None and rates.measured_at > after
            rate = rates.records_out_per_s
            if fresh and rate is not None and (not target or rate >= (1.0 - self.tolerance) * target):
                return rates.measured_at
            time.sleep(0.1)
        return None


def stop_with_savepoint(rest: FlinkRestClient, job_id: str, directory: str, timeout_s: float = 120.0) -> str:
    """Stop the job with a savepoint; returns the savepoint's location."""
    request = rest.stop_with_savepoint(job_id, directory)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = rest.savepoint_status(job_id, request)
        if status.get("status", {}).get("id") == "COMPLETED":
            operation = status.get("operation", {})
            if "location" in operation:
                return str(operation["location"])
            cause = str(operation.get("failure-cause", {}).get("stack-trace", "unknown cause")).splitlines()[0]
            raise JobError(f"The savepoint of job {job_id} failed: {cause[:300]}", "See the JobManager log.")
        time.sleep(0.2)
    raise JobError(f"The savepoint of job {job_id} did not complete within {timeout_s:.0f} s.")
