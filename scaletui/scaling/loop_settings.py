"""The control loop's own settings, which a user may change while it runs: how often it decides (`interval`), over
how many seconds of metrics (`window`), and how long it keeps still after a rescale (`cooldown`).

They are the loop's, not a strategy's: they are written beside a strategy's parameters (`:strategy ds2 interval=5s
target_utilisation=0.8`) but a strategy chosen later keeps them. Their defaults, with the guard rails (parallelism
bounds, TaskManager cap), are an experiment's `[strategy]` table; a live session's are those of `LIVE_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scaletui.config.models import LIVE_EXPERIMENT, LOOP_KEYS, LOOP_LIMITS
from scaletui.config.units import human_duration, parse_duration
from scaletui.errors import ConfigError

MEANING = {
    "interval": "the time between decisions",
    "window": "the metrics window each decision reads",
    "cooldown": "the quiet time after a rescale",
}
LIVE_DEFAULTS = f"conf/{LIVE_EXPERIMENT}"
"""The file whose `[strategy]` table sets a live session's loop and guard rails, as the help and the form name it."""


def split_loop(pairs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`key=value` pairs as typed after a strategy's name: (the loop's settings, the strategy's parameters)."""
    loop = {k: v for k, v in pairs.items() if k in LOOP_KEYS}
    return loop, {k: v for k, v in pairs.items() if k not in LOOP_KEYS}


def check_loop(raw: Mapping[str, Any]) -> dict[str, float]:
    """Each setting in seconds; one ConfigError sentence naming the key, what it is and what it takes."""
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in LOOP_LIMITS:
            raise ConfigError(f"{key} is not a setting of the loop (known: {', '.join(LOOP_KEYS)}).")
        low, high = LOOP_LIMITS[key]
        try:
            seconds = parse_duration(value)
        except ValueError:
            seconds = -1.0
        if not low <= seconds <= high:
            typed = human_duration(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
            raise ConfigError(
                f"{key}={typed}: {MEANING[key]} takes a duration from {human_duration(low)} to {human_duration(high)}, "
                "such as 5s, 30s or 2m."
            )
        out[key] = seconds
    return out


def loop_text(values: Mapping[str, float]) -> str:
    """`interval=10s, window=10s, cooldown=20s`: the settings as the strategy form shows and takes them."""
    return ", ".join(f"{key}={human_duration(values[key])}" for key in LOOP_KEYS if key in values)
