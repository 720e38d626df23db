"""Metrics of Flink on Kubernetes: local Flink's own collector over the proxied REST API, with the nodes of each
sample taken from the cluster's node telemetry (VictoriaMetrics, scraping a node exporter per node) instead of the
TaskManagers' JVMs: on a testbed a TaskManager is a pod, and what capacity estimates and results need is the machine
it runs on, by its Kubernetes node name (the name pods, Consul and the node exporter share).

Telemetry is asked every `telemetry_every_s` (its own scrape interval is 5 s), never more often than the samples are
taken. When it fails (VictoriaMetrics away, the API server away), the last nodes are kept for `keep_s` and then
dropped: a missing value is never reported as a fresh one. The failure is logged once per outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from scaletui.errors import UserError
from scaletui.events import EventBus
from scaletui.flink.metrics import FlinkMetricsCollector
from scaletui.flink.rest import FlinkRestClient
from scaletui.metrics.model import NodeSample

log = logging.getLogger(__name__)


class NodeTelemetry(Protocol):
    def nodes(self) -> dict[str, NodeSample]: ...


class KubernetesCollector(FlinkMetricsCollector):
    """FlinkMetricsCollector whose samples carry the Kubernetes nodes' telemetry (empty without one)."""

    def __init__(
        self,
        rest: FlinkRestClient,
        job_id: Callable[[], str | None],
        target_rate: Callable[[], float | None],
        bus: EventBus | None,
        telemetry_every_s: float = 5.0,
        keep_s: float = 30.0,
    ) -> None:
        super().__init__(rest, job_id, target_rate, bus=bus)
        self.telemetry: NodeTelemetry | None = None
        self.telemetry_every_s = telemetry_every_s
        self.keep_s = keep_s
        self._nodes_seen: dict[str, NodeSample] = {}
        self._asked_at = -float("inf")
        self._seen_at = -float("inf")
        self._failing = False

    def _nodes(self) -> dict[str, NodeSample]:
        """The Kubernetes nodes' telemetry (overrides the TaskManager JVMs of local Flink's collector)."""
        if self.telemetry is None:
            return {}
        now = time.monotonic()
        if now - self._asked_at >= self.telemetry_every_s:
            self._asked_at = now
            try:
                self._nodes_seen = self.telemetry.nodes()
                self._seen_at = now
                self._failing = False
            except UserError as e:
                if not self._failing:
                    log.warning("node telemetry: %s", e.message)
                self._failing = True
        return dict(self._nodes_seen) if now - self._seen_at <= self.keep_s else {}
