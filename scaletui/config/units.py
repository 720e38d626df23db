"""Durations and rates as people write them in TOML: 90, "90s", "3m", "1h30m", "500ms"."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like "1h30m"; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError('a duration like 90, "90s", "3m" or "1h30m"')
    if isinstance(value, (int, float)):
        if not math.isfinite(value):  # TOML's inf and nan, or a float typed on the `:` line
            raise ValueError('a duration like 90, "90s", "3m" or "1h30m"')
        if value < 0:
            raise ValueError("a duration that is not negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _NUMBER.fullmatch(text):  # typed in a dialog or on the `:` line, a number is seconds as in TOML
            return float(text)
        if text and _PART.sub("", text) == "":
            return sum(float(n) * _SCALE[u] for n, u in _PART.findall(text))
    raise ValueError('a duration like 90, "90s", "3m" or "1h30m"')


def format_duration(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"


def human_duration(seconds: float) -> str:
    """`9600` -> `2h40m`, `90.5` -> `90.5s`: what a person would write in the TOML (format_duration pads: `2h40m`,
    `20m00s`), and what `parse_duration` reads back as the same number, so a form field prefilled with it and sent
    unchanged changes nothing. It formats what a user typed, so `inf` and `nan` come back as typed, not raised."""
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds != int(seconds):
        return f"{Decimal(repr(seconds)):f}s"  # the shortest digits that read back exactly, never an exponent
    rest = int(seconds)
    out = ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            out += f"{count}{unit}"
    return out or "0s"


@cache
def _duration_type() -> Any:
    from pydantic import BeforeValidator

    return Annotated[float, BeforeValidator(parse_duration)]


def __getattr__(name: str) -> Any:
    """`Duration` (a pydantic field type) is built on first use, so that formatting a duration loads no pydantic."""
    if name == "Duration":
        return _duration_type()
    raise AttributeError(name)


def toml_value(value: Any) -> str:
    """A value as it is typed in TOML (an inline table, a message quoting the file): strings double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def inline_text(values: dict[str, Any]) -> str:
    """`key = value, ...`: what a dialog's parameters field shows of a table, and reads back."""
    return ", ".join(f"{k} = {toml_value(v)}" for k, v in values.items())


def key_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error's location as the file names it: `timeline[2].params.rate`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"
