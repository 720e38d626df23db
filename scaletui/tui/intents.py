"""Turn what a user typed in a form into engine arguments; one sentence when it cannot be read."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from scaletui.errors import ConfigError


def inline_table(text: str, what: str, example: str = 'such as rate = 400, steps = [["30s", 600]]') -> dict[str, Any]:
    """`rate = 400, steps = [["30s", 600]]` -> a dict, read as a TOML inline table."""
    text = text.strip()
    if not text:
        return {}
    prefix = "v = { "
    try:
        return tomllib.loads(f"{prefix}{text} }}")["v"]
    except tomllib.TOMLDecodeError as e:
        where = re.search(r"\(at line \d+, column (\d+)\)", str(e))
        reason = re.sub(r"\s*\(at .*?\)", "", str(e)).rstrip(".")
        at = f" at character {max(1, int(where.group(1)) - len(prefix))}" if where else ""
        raise ConfigError(
            f"{what}: expected key = value pairs separated by commas, {example} ({reason}{at})."
        ) from None


def whole_number(text: str, what: str, low: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{what}: expected a whole number, got {text!r}.") from None
    if value < low:
        raise ConfigError(f"{what}: expected a whole number of at least {low}, got {value}.")
    return value
