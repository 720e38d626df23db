"""The strategy protocol and the checking of a strategy's parameters.

A strategy is a class with a `name`, a frozen `Params` dataclass whose fields are its documented parameters, and a
`decide(observation) -> Decision`. Parameters come from conf/strategies/<name>.toml merged with the experiment's
`[strategy.params]`; `parse_params` refuses unknown keys and wrong types with one sentence naming the key.
Field metadata: `duration=True` accepts "90s"/"3m"; `min`/`max` bound numbers.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.scaling.observation import Decision, Observation


class Strategy(ABC):
    name: ClassVar[str]
    Params: ClassVar[type]

    def __init__(self, params: Any = None) -> None:
        self.params = params if params is not None else self.Params()

    @abstractmethod
    def decide(self, obs: Observation) -> Decision:
        """The parallelism (and TaskManagers) this strategy wants now, with its reason."""

    def idle_reason(self) -> str:
        """Why this strategy, as its parameters stand, can never change the job ("" when it can): choosing it is
        accepted, and the run says this as a warning."""
        return ""

    def applied(self, decision: Decision, obs: Observation, at: float) -> None:  # noqa: B027 (optional hook)
        """Told after a decision changed the job (at time `at`, after the rescale); strategies with memory use it."""

    # --- helpers shared by the strategies ------------------------------------------------------------------

    @staticmethod
    def taskmanagers_for(parallelism: dict[str, int], obs: Observation) -> int | None:
        """TaskManagers follow slots: with slot sharing a job needs as many slots as its widest operator."""
        spt = obs.slots_per_taskmanager
        if not spt or not parallelism:
            return None
        return max(1, -(-max(parallelism.values()) // spt))

    def keep(self, obs: Observation, reason: str) -> Decision:
        return Decision(dict(obs.parallelism), obs.taskmanagers, reason)

    def decision(self, obs: Observation, parallelism: dict[str, int], reason: str) -> Decision:
        return Decision(parallelism, self.taskmanagers_for(parallelism, obs), reason)


def _coerce(key: str, value: Any, tp: Any, meta: dict[str, Any], where: str) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(
            f"{where}: key params.{key} expected {expected}, got {value!r}.", "Fix the strategy's parameters."
        )

    optional = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(optional) == 1:
        if value is None:
            return None  # an optional parameter left unset (TOML cannot say None; a caller passing one can)
        tp = optional[0]
    if meta.get("duration"):
        try:
            value = parse_duration(value)
        except ValueError:
            raise fail('a duration like 30, "30s" or "5m"') from None
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise fail("a number")
        value = float(value)
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
    elif tp is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
    elif tp is str:
        if not isinstance(value, str):
            raise fail("a string")
        choices = meta.get("choices")
        if choices and value not in choices:
            raise fail("one of " + ", ".join(choices))
    elif typing.get_origin(tp) in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise fail("a list")
        value = tuple(value)
    elif typing.get_origin(tp) is dict and not isinstance(value, dict):
        raise fail("a table")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "min" in meta and value < meta["min"]:
            raise fail(f"{meta['min']} or more")
        if "max" in meta and value > meta["max"]:
            raise fail(f"{meta['max']} or less")
    return value


def parse_params(params_cls: type, raw: dict[str, Any], where: str) -> Any:
    """Build `params_cls` from `raw`; ConfigError naming `where` and the key on any unknown key or bad value."""
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    hints = typing.get_type_hints(params_cls)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        norm = key.replace("-", "_")
        if norm not in fields:
            known = ", ".join(fields) or "none"
            raise ConfigError(f"{where}: key params.{key} is not a parameter of this strategy (known: {known}).")
        values[norm] = _coerce(key, value, hints[norm], dict(fields[norm].metadata), where)
    return params_cls(**values)
