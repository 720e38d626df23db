"""A strategy's parameters as a person writes them: `key=value` pairs, a duration as one (`memory=10m00s`, not 600),
for the strategy line, and an example of them for the strategy form's hint."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from scaletui.config.units import format_duration


def params_text(params: Any) -> str:
    """`target_utilisation=0.7 catch_up=0s memory=10m00s` for a strategy's Params dataclass ("" for none)."""
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
        return format_duration(value) if value >= 60 else f"{value:g}s"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(param_text(v, {}) for v in value)
    return str(value)
