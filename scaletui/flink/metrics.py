"""Poll Flink's REST API once a second and turn it into `JobSample`s kept in a bounded ring buffer.

Per operator: records in/out per second, busy/idle/back-pressured ms per second (from counter differences, see
`counter_rates`). Per job: achieved source rate vs the target the engine set, end-to-end latency percentiles from
the workload sink's gauges. Per TaskManager: CPU (cores) and heap. Anything not measured in time is None, never 0.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from scaletui.errors import PlatformError
from scaletui.events import EventBus, MetricsEvent
from scaletui.flink.counter_rates import COUNTERS, CounterWindow, Rates
from scaletui.flink.job_graph import keyed_vertices, metric_scope, operator_name
from scaletui.flink.rest import FlinkRestClient
from scaletui.metrics.model import JobSample, NodeSample, OperatorSample

log = logging.getLogger(__name__)

LATENCY_GAUGES = {"p50": "e2eLatencyP50", "p95": "e2eLatencyP95", "p99": "e2eLatencyP99", "max": "e2eLatencyMax"}
TM_METRICS = ("Status.JVM.CPU.Load", "Status.JVM.Memory.Heap.Used", "Status.JVM.Memory.Heap.Max")
SINK_NAME = "sink"


class FlinkMetricsCollector:
    """One collector per cluster; `poll()` is one step, `start()` runs it every `interval_s` in a thread."""

    def __init__(
        self,
        rest: FlinkRestClient,
        job_id: Callable[[], str | None],
        target_rate: Callable[[], float | None] = lambda: None,
        bus: EventBus | None = None,
        interval_s: float = 1.0,
        history: int = 900,
        stale_after_s: float = 5.0,
    ) -> None:
        self.rest = rest
        self.job_id = job_id
        self.target_rate = target_rate
        self.bus = bus
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self.samples: deque[JobSample] = deque(maxlen=history)
        self._windows: dict[str, CounterWindow] = {}
        self._keyed: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._source = Rates()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cpus = os.cpu_count() or 1

    # --- loop -----------------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="flink-metrics", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                sample = self.poll()
            except Exception:  # the loop must survive anything; details to the log
                log.exception("metrics poll failed")
                sample = JobSample(ts=time.time(), stale=True)
            if self.bus is not None:
                self.bus.publish(MetricsEvent(source="flink.metrics", sample=sample))
            self._stop.wait(max(0.05, self.interval_s - (time.monotonic() - began)))

    # --- one poll -------------------------------------------------------------------------------------------------

    def latest(self) -> JobSample | None:
        with self._lock:
            return self.samples[-1] if self.samples else None

    def history(self, seconds: float | None = None) -> list[JobSample]:
        with self._lock:
            items = list(self.samples)
        if seconds is None:
            return items
        cutoff = time.time() - seconds
        return [s for s in items if s.ts >= cutoff]

    def poll(self) -> JobSample:
        """Query the cluster once and append the resulting sample (stale, with None values, if REST fails)."""
        with self._poll_lock:
            now_wall, now = time.time(), time.monotonic()
            try:
                sample = self._measure(now_wall, now)
            except PlatformError as e:
                log.info("metrics poll: %s", e.message)
                sample = JobSample(ts=now_wall, target_rate=self.target_rate(), stale=True)
            with self._lock:
                self.samples.append(sample)
            return sample

    def source_rate(self) -> Rates:
        """The source's latest rates with `measured_at` (monotonic): lets a caller wait for a measurement after t."""
        return self._source

    def _measure(self, now_wall: float, now: float) -> JobSample:
        overview = self.rest.overview()
        nodes = self._nodes()
        job_id = self.job_id()
        base = {
            "ts": now_wall,
            "target_rate": self.target_rate(),
            "taskmanagers": int(overview["taskmanagers"]),
            "total_slots": int(overview["slots-total"]),
            "free_slots": int(overview["slots-available"]),
            "nodes": nodes,
        }
        if job_id is None:
            self._source = Rates()
            return JobSample(**base)  # type: ignore[arg-type]
        detail = self.rest.job(job_id)
        if job_id not in self._keyed:
            self._keyed = {job_id: keyed_vertices(self.rest.job_plan(job_id))}
            self._windows = {}
        operators: dict[str, OperatorSample] = {}
        latency: dict[str, float | None] = {k: None for k in LATENCY_GAUGES}
        fresh = False
        for index, vertex in enumerate(detail["vertices"]):
            name, vid = operator_name(vertex["name"]), str(vertex["id"])
            parallelism = int(vertex["parallelism"])
            wanted = list(COUNTERS)
            if name == SINK_NAME:
                scope = metric_scope(vertex["name"])
                wanted += [f"{scope}.{gauge}" for gauge in LATENCY_GAUGES.values()]
            values = (
                self.rest.subtask_metrics(job_id, vid, wanted, agg="sum,max") if vertex["status"] == "RUNNING" else {}
            )
            rates = self._rates(vid, values, parallelism, vertex["status"], now)
            if rates.measured_at is not None and now - rates.measured_at <= self.stale_after_s:
                fresh = True
            else:
                rates = Rates()
            if vertex["name"].startswith("Source: ") or index == 0:
                self._source = rates
            if name == SINK_NAME:
                for key, gauge in LATENCY_GAUGES.items():
                    latency[key] = _finite(values.get(f"{metric_scope(vertex['name'])}.{gauge}", {}).get("max"))
            operators[name] = OperatorSample(
                name=name,
                parallelism=parallelism,
                max_parallelism=int(vertex.get("maxParallelism", parallelism)),
                records_in_per_s=rates.records_in_per_s,
                records_out_per_s=rates.records_out_per_s,
                busy_ms_per_s=rates.busy_ms_per_s,
                backpressured_ms_per_s=rates.backpressured_ms_per_s,
                idle_ms_per_s=rates.idle_ms_per_s,
                is_source=vertex["name"].startswith("Source: ") or index == 0,
                keyed_input=vid in self._keyed[job_id],
            )
        source = next((op for op in operators.values() if op.is_source), None)
        return JobSample(
            **base,  # type: ignore[arg-type]
            operators=operators,
            achieved_rate=source.records_out_per_s if source else None,
            latency_ms=latency,
            stale=not fresh or detail["state"] != "RUNNING",
        )

    def _rates(self, vid: str, values: dict[str, dict[str, float]], parallelism: int, status: str, now: float) -> Rates:
        window = self._windows.setdefault(vid, CounterWindow())
        if status != "RUNNING":
            window.reset()
            return Rates()
        sums = {name: v["sum"] for name, v in values.items() if name in COUNTERS and "sum" in v}
        return window.update(sums, parallelism, now)

    def _nodes(self) -> dict[str, NodeSample]:
        nodes = {}
        for tm in self.rest.taskmanagers():
            tm_id = str(tm["id"])
            try:
                values = self.rest.taskmanager_metrics(tm_id, TM_METRICS)
            except PlatformError:
                values = {}
            load = values.get("Status.JVM.CPU.Load")
            used, total = values.get("Status.JVM.Memory.Heap.Used"), values.get("Status.JVM.Memory.Heap.Max")
            nodes[tm_id] = NodeSample(
                node=tm_id,
                cpu_cores=load * self._cpus if load is not None and load >= 0 else None,
                cpu_total=float(self._cpus),
                memory_bytes=int(used) if used is not None else None,
                memory_total=int(total) if total is not None else None,
            )
        return nodes


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
