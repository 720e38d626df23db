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
        plain = plain_pairs(text)
        if plain is not None:
            return plain
        where = re.search(r"\(at line \d+, column (\d+)\)", str(e))
        reason = re.sub(r"\s*\(at .*?\)", "", str(e)).rstrip(".")
        reason = "a bracket or a quote is not closed" if reason.startswith("Unclosed") else reason
        at = f" at character {max(1, int(where.group(1)) - len(prefix))}" if where else ""
        raise ConfigError(
            f"{what}: expected key = value pairs separated by commas, {example} ({reason}{at})."
        ) from None


PAIR = re.compile(r"\s*([A-Za-z_][\w-]*)\s*=\s*([^\s,\[\]{}\"']+)\s*(?:,|\s|$)")


def plain_pairs(text: str) -> dict[str, Any] | None:
    """`memory=10m, target_utilisation=0.9` as the `:` line writes it (text unquoted), or None when `text` is not
    only such pairs: the forms take what the command line takes."""
    out: dict[str, Any] = {}
    at = 0
    while at < len(text):
        pair = PAIR.match(text, at)
        if pair is None or pair.end() == at:
            return None
        out[pair.group(1)] = plain_value(pair.group(2))
        at = pair.end()
    return out or None


def plain_value(text: str) -> Any:
    """A `key=value` value, in a form or on the `:` line: a number when it reads as one, true or false, else the text
    (durations and rates stay strings)."""
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def whole_number(text: str, what: str, low: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{what}: expected a whole number, got {text!r}.") from None
    if value < low:
        raise ConfigError(f"{what}: expected a whole number of at least {low}, got {value}.")
    return value
