"""The latency matrix: round-trip milliseconds between named nodes, as strategies and the heat table read it.

Missing pairs are None (never 0), like every other metric.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations


@dataclass(frozen=True)
class LatencyMatrix:
    """Symmetric round-trip latency in ms between `nodes`, measured at `ts` by `source` ("consul" or "probe")."""

    nodes: tuple[str, ...]
    rtt_ms: dict[tuple[str, str], float] = field(default_factory=dict)
    ts: float = 0.0
    source: str = ""

    def get(self, a: str, b: str) -> float | None:
        if a == b:
            return 0.0 if a in self.nodes else None
        value = self.rtt_ms.get((a, b))
        return value if value is not None else self.rtt_ms.get((b, a))

    def worst(self, nodes: Iterable[str]) -> float | None:
        """The largest latency between any two of `nodes` (None if no pair among them is known)."""
        values = [v for a, b in combinations(dict.fromkeys(nodes), 2) if (v := self.get(a, b)) is not None]
        return max(values, default=None)

    def worst_from(self, node: str) -> float | None:
        """The largest latency from `node` to any other node."""
        values = [v for other in self.nodes if other != node and (v := self.get(node, other)) is not None]
        return max(values, default=None)

    def rows(self) -> list[list[float | None]]:
        """The full square, in `nodes` order, for a heat table."""
        return [[self.get(a, b) for b in self.nodes] for a in self.nodes]

    def records(self) -> list[dict[str, object]]:
        """One flat row per pair (a < b), for metrics files."""
        return [
            {"ts": self.ts, "source": self.source, "a": a, "b": b, "rtt_ms": self.get(a, b)}
            for a, b in combinations(self.nodes, 2)
        ]
