"""A strategy's parameters as a person writes them: `key=value` pairs, a duration as one (`memory=10m`, not 600 nor
`10m00s`), for the strategy line, and an example of them for the strategy form's hint. A duration is written by
units.human_duration, which parse_duration reads back as the same seconds, so a value copied into the form or the `:`
line sets what it shows."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from scaletui.config.units import human_duration


def params_text(params: Any) -> str:
    """`target_utilisation=0.7 catch_up=0s memory=10m` for a strategy's Params dataclass ("" for none)."""
    if not dataclasses.is_dataclass(params):
        return ""
    return " ".join(f"{f.name}={param_text(getattr(params, f.name), f.metadata)}" for f in dataclasses.fields(params))


def params_example(params: Any, count: int = 2) -> str:
    """Its first `count` parameters at their values, `target_utilisation = 0.7, min_busy_ms = 20`, as the strategy
    form takes them: an example that names parameters the strategy has."""
    if not dataclasses.is_dataclass(params):
        return ""
    fields = dataclasses.fields(params)[:count]
    return ", ".join(f"{f.name} = {param_text(getattr(params, f.name), f.metadata)}" for f in fields)


def param_text(value: object, meta: Mapping[str, object]) -> str:
    if meta.get("duration") and isinstance(value, (int, float)):
        return human_duration(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)  # the shortest digits that read back as it
    if isinstance(value, (list, tuple)):
        return ",".join(param_text(v, {}) for v in value)
    return str(value)
