"""Turn pydantic and TOML errors into one sentence naming the file, the key (or line) and the expectation."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from scaletui.errors import ConfigError


def key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def from_validation(path: Path | str, err: ValidationError, prefix: str = "") -> ConfigError:
    """The first error, named by key; the count of the others, so the sentence stays one sentence."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    key = key_path(loc)
    if prefix:
        key = f"{prefix}.{key}" if key != "(top level)" else prefix
    if first["type"] == "extra_forbidden":
        what = "is not a known key (check its spelling)"
    elif first["type"] == "missing":
        what = "is missing and required"
    else:
        got = first.get("input")
        shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
        what = f"expected {first['msg'].removeprefix('Value error, ').rstrip('.').lower()}, got {shown}"
    more = len(err.errors()) - 1
    tail = f" ({more} more problem{'s' if more > 1 else ''} in the file)" if more else ""
    return ConfigError(f"{path}: key {key} {what}{tail}.")


def from_toml(path: Path | str, err: tomllib.TOMLDecodeError, hint: str = "Fix the line named.") -> ConfigError:
    return ConfigError(f"{path}: not valid TOML: {err}.", hint)


def read_toml(path: Path, hint: str = "Fix the line named.") -> dict:
    """Read a TOML file or raise one ConfigError naming the file and the line; `hint` says how to fix bad TOML."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}).") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}).") from None
    except tomllib.TOMLDecodeError as e:
        raise from_toml(path, e, hint) from None
