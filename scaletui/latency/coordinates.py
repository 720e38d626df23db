"""Latency from Consul's network coordinates (GET /v1/coordinate/nodes): through py-consul at a host and port, or
over a given HTTP client (the API server's service proxy to the consul-server Service, from outside the cluster:
`ConsulLatency.over(cluster.service_http("consul", "consul-server", 8500))`).

Consul estimates a round trip between two nodes from their Vivaldi coordinates exactly as serf's
`Coordinate.DistanceTo` does: the Euclidean distance of the vectors plus both heights, then plus both adjustments
unless that would make it non-positive. Coordinates are in seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from scaletui.errors import PlatformError
from scaletui.latency.matrix import LatencyMatrix


@dataclass(frozen=True)
class Coordinate:
    vec: tuple[float, ...]
    height: float = 0.0
    adjustment: float = 0.0
    error: float = 0.0

    @classmethod
    def from_consul(cls, coord: dict[str, Any]) -> Coordinate:
        return cls(
            vec=tuple(float(v) for v in coord["Vec"]),
            height=float(coord.get("Height", 0.0)),
            adjustment=float(coord.get("Adjustment", 0.0)),
            error=float(coord.get("Error", 0.0)),
        )


def rtt_seconds(a: Coordinate, b: Coordinate) -> float | None:
    """Consul's estimated round trip between two coordinates, or None if their dimensions differ."""
    if len(a.vec) != len(b.vec):
        return None
    dist = math.sqrt(sum((x - y) ** 2 for x, y in zip(a.vec, b.vec, strict=True))) + a.height + b.height
    adjusted = dist + a.adjustment + b.adjustment
    return adjusted if adjusted > 0.0 else dist


class ConsulLatency:
    """Reads LAN coordinates from a Consul agent and turns them into a LatencyMatrix (ms)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8500,
        scheme: str = "http",
        dc: str | None = None,
        token: str | None = None,
        timeout_s: float = 5.0,
        http: Any = None,
    ) -> None:
        self.where = str(http.base_url) if http is not None else f"{scheme}://{host}:{port}"
        self.dc = dc
        self._args = {"host": host, "port": port, "scheme": scheme, "token": token, "dc": dc}
        self.timeout_s = timeout_s
        self._client: Any = None
        self._http = http

    @classmethod
    def over(cls, http: Any, dc: str | None = None) -> ConsulLatency:
        """Read the coordinates over an httpx client whose base URL is the Consul HTTP API's root."""
        return cls(dc=dc, http=http)

    def _nodes_over_http(self) -> list[dict[str, Any]]:
        import httpx

        try:
            reply = self._http.get("v1/coordinate/nodes", params={"dc": self.dc} if self.dc else None)
            reply.raise_for_status()
            return list(reply.json() or [])
        except (httpx.HTTPError, ValueError) as e:
            raise PlatformError(
                f"The Consul agent at {self.where} did not give network coordinates ({type(e).__name__}).",
                "Check that Consul runs (the consul app) and is reachable.",
            ) from None

    def coordinates(self) -> dict[str, Coordinate]:
        """Node name -> coordinate (the default network segment's entry when a node is in several)."""
        nodes = self._nodes_over_http() if self._http is not None else self._nodes_over_consul()
        coords: dict[str, Coordinate] = {}
        for entry in sorted(nodes or [], key=lambda n: n.get("Segment", "") != ""):
            coords.setdefault(entry["Node"], Coordinate.from_consul(entry["Coord"]))
        return coords

    def _nodes_over_consul(self) -> list[dict[str, Any]]:
        import consul
        import requests

        if self._client is None:
            self._client = consul.Consul(connections_timeout=self.timeout_s, **self._args)
        try:
            _, nodes = self._client.coordinate.nodes(dc=self.dc)
        except (requests.RequestException, consul.ConsulException, OSError) as e:
            raise PlatformError(
                f"The Consul agent at {self.where} did not give network coordinates ({type(e).__name__}).",
                "Check that Consul runs (the consul app) and is reachable.",
            ) from None
        return list(nodes or [])

    def matrix(self) -> LatencyMatrix:
        coords = self.coordinates()
        names = tuple(sorted(coords))
        pairs = {
            (a, b): rtt * 1000.0
            for n, a in enumerate(names)
            for b in names[n + 1 :]
            if (rtt := rtt_seconds(coords[a], coords[b])) is not None
        }
        return LatencyMatrix(nodes=names, rtt_ms=pairs, ts=time.time(), source="consul")
