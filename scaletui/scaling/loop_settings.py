"""The control loop's own settings, which a user may change while it runs: its timing, how often it decides
(`interval`), over how many seconds of metrics (`window`) and how long it keeps still after a rescale (`cooldown`),
and its guard rails, the bounds every decision is clamped to (`min_parallelism`, `max_parallelism` per operator,
`max_taskmanagers`, `max_slots`).

They are the loop's, not a strategy's: they are written beside a strategy's parameters (`:strategy ds2 interval=5s
max_parallelism=6 target_utilisation=0.8`) but a strategy chosen later keeps them. Their defaults are an experiment's
`[strategy]` table, held to the same bounds (config/models.py LOOP_LIMITS, guard_conflict); a live session's are
those of `LIVE_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scaletui.config.models import GUARD_LIMITS, LIVE_EXPERIMENT, LOOP_KEYS, LOOP_LIMITS, TIMING_LIMITS, guard_conflict
from scaletui.config.units import human_duration, parse_duration
from scaletui.errors import ConfigError

MEANING = {
    "interval": "the time between decisions",
    "window": "the metrics window each decision reads",
    "cooldown": "the quiet time after a rescale",
    "min_parallelism": "the fewest subtasks the autoscaler leaves an operator",
    "max_parallelism": "the most subtasks the autoscaler gives an operator",
    "max_taskmanagers": "the most TaskManagers the autoscaler runs",
    "max_slots": "the most task slots the autoscaler uses",
}
LIVE_DEFAULTS = f"conf/{LIVE_EXPERIMENT}"
"""The file whose `[strategy]` table sets a live session's loop and guard rails, as the help and the form name it."""


def split_loop(pairs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`key=value` pairs as typed after a strategy's name: (the loop's settings, the strategy's parameters)."""
    loop = {k: v for k, v in pairs.items() if k in LOOP_KEYS}
    return loop, {k: v for k, v in pairs.items() if k not in LOOP_KEYS}


def check_loop(raw: Mapping[str, Any], now: Mapping[str, float] | None = None) -> dict[str, float]:
    """Timing in seconds, guard rails as whole numbers; one ConfigError sentence naming the key, what it is and what
    it takes, or the bound it would cross with the others: those given, over `now` (the settings running, when
    known)."""
    out: dict[str, float] = {}
    for key, value in raw.items():
        if key not in LOOP_LIMITS:
            raise ConfigError(f"{key} is not a setting of the loop (known: {', '.join(LOOP_KEYS)}).")
        out[key] = _seconds(key, value) if key in TIMING_LIMITS else _whole(key, value)
    if conflict := guard_conflict({**(now or {}), **out}):
        raise ConfigError(f"{conflict}.")
    return out


def _seconds(key: str, value: Any) -> float:
    low, high = TIMING_LIMITS[key]
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
    return seconds


def _whole(key: str, value: Any) -> int:
    """A guard rail: an int, or one written as text or as a float with no fraction (a session file's 6.0)."""
    low, high = GUARD_LIMITS[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not low <= number <= high:
        raise ConfigError(f"{key}={value}: {MEANING[key]} takes a whole number from {low} to {high}.")
    return number


def setting_text(key: str, value: float) -> str:
    """One setting as it is typed: `10s` for the timing, `8` for a guard rail."""
    return human_duration(value) if key in TIMING_LIMITS else f"{value:g}"


def loop_text(values: Mapping[str, float], keys: tuple[str, ...] = LOOP_KEYS) -> str:
    """`interval=10s, window=10s, cooldown=20s`: the settings of `keys` as the strategy form shows and takes them."""
    return ", ".join(f"{key}={setting_text(key, values[key])}" for key in keys if key in values)
