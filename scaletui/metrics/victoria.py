"""Per-node telemetry from the VictoriaMetrics the metrics role deploys, by PromQL over its HTTP API.

The role scrapes every node's node exporter with a `node` label (kubernetes_sd relabelling), so one instant query
per measure gives every node at once: CPU cores busy (rate of non-idle CPU seconds), CPU count, memory in use
(total minus available), and network bytes per second in and out (loopback excluded). A node whose series are
missing gets None for that value, never 0. VictoriaMetrics is reached at a URL or, from outside the cluster,
through the API server's service proxy (`KubernetesCluster.service_http`).
"""

from __future__ import annotations

import time

import httpx

from scaletui.errors import PlatformError
from scaletui.metrics.model import NodeSample

WINDOW = "15s"
QUERIES = {
    "cpu_cores": f'sum by (node) (rate(node_cpu_seconds_total{{mode!="idle"}}[{WINDOW}]))',
    "cpu_total": 'count by (node) (node_cpu_seconds_total{mode="idle"})',
    "memory_bytes": "sum by (node) (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)",
    "memory_total": "sum by (node) (node_memory_MemTotal_bytes)",
    "net_rx_bytes_per_s": f'sum by (node) (rate(node_network_receive_bytes_total{{device!="lo"}}[{WINDOW}]))',
    "net_tx_bytes_per_s": f'sum by (node) (rate(node_network_transmit_bytes_total{{device!="lo"}}[{WINDOW}]))',
}


class VictoriaTelemetry:
    """`nodes()` -> {node: NodeSample}; `query(promql)` for anything else (a list of (labels, value))."""

    def __init__(self, http: httpx.Client | str, timeout_s: float = 10.0) -> None:
        self.http = http if isinstance(http, httpx.Client) else httpx.Client(base_url=http, timeout=timeout_s)
        self.where = str(self.http.base_url)

    def query(self, promql: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        params = {"query": promql, **({"time": f"{at:.3f}"} if at is not None else {})}
        try:
            reply = self.http.get("api/v1/query", params=params)
            body = reply.json()
        except (httpx.HTTPError, ValueError) as e:
            raise PlatformError(
                f"VictoriaMetrics at {self.where} did not answer a query ({type(e).__name__}).",
                "Check that the metrics app is deployed (application stage, app:metrics).",
            ) from None
        if reply.status_code != 200 or body.get("status") != "success":
            raise PlatformError(
                f"VictoriaMetrics refused a query: {body.get('error', reply.reason_phrase)}.",
                "Check the PromQL expression.",
            )
        return [(dict(r["metric"]), float(r["value"][1])) for r in body["data"]["result"]]

    def nodes(self) -> dict[str, NodeSample]:
        values: dict[str, dict[str, float]] = {}
        for field, promql in QUERIES.items():
            for labels, value in self.query(promql):
                if "node" in labels and value == value:
                    values.setdefault(labels["node"], {})[field] = value
        return {node: _sample(node, v) for node, v in sorted(values.items())}

    def scrape_lag_s(self, promql: str = 'max(timestamp(up{job="node-exporter"}))') -> float | None:
        """Seconds between the newest sample a query sees and now: how fresh the telemetry is."""
        found = self.query(promql)
        return time.time() - found[0][1] if found else None

    def close(self) -> None:
        self.http.close()


def _sample(node: str, v: dict[str, float]) -> NodeSample:
    def whole(key: str) -> int | None:
        return int(v[key]) if key in v else None

    cores, total = v.get("cpu_cores"), v.get("cpu_total")
    if cores is not None and total is not None:
        cores = min(cores, total)  # a rate over scrapes whose times jitter reads 2.0007 cores busy of 2
    return NodeSample(
        node=node,
        cpu_cores=cores,
        cpu_total=total,
        memory_bytes=whole("memory_bytes"),
        memory_total=whole("memory_total"),
        net_rx_bytes_per_s=v.get("net_rx_bytes_per_s"),
        net_tx_bytes_per_s=v.get("net_tx_bytes_per_s"),
    )
