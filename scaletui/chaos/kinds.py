"""The fault kinds and their typical parameters, without pydantic: the Chaos pane lists them in its first frame,
before the heavy imports (chaos/params.py validates them)."""

from __future__ import annotations

KINDS: tuple[str, ...] = ("delay", "loss", "bandwidth", "partition", "kill", "pause", "cpu-stress", "memory-stress")
"""The same kinds as config/models.py's FaultKind, which experiment files are checked against (a test keeps the two
equal: config stays free of the chaos package)."""
NETWORK_KINDS = frozenset({"delay", "loss", "bandwidth", "partition"})

EXAMPLES: dict[str, str] = {
    "delay": "latency_ms = 50, jitter_ms = 5",
    "loss": "percent = 10",
    "bandwidth": 'rate = "10mbit"',
    "partition": 'peers = ["jobmanager"], direction = "both"',
    "kill": "",
    "pause": "",
    "cpu-stress": "workers = 1, load = 80",
    "memory-stress": 'workers = 1, size = "256MB"',
}
"""Typical parameters of each kind as an inline TOML table: where a form to fire one starts."""


def split_targets(text: str) -> list[str]:
    """The targets typed in one field or word (`taskmanager-1, pid:123`): an empty list when none is named, which
    both faces refuse rather than read as an experiment file's default of every TaskManager."""
    return [t.strip() for t in text.split(",") if t.strip()]
