"""Turn pydantic and TOML errors into one sentence naming the file, the key (or line) and the expectation.

An entry of an array of tables (`[[timeline]]`, `[[faults]]`) is named as the models index it, from 0
(`timeline[4]` is the fifth `[[timeline]]`), and with its line in the file when the text is at hand: tomllib keeps
no positions, so `entry_line` counts the headers.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from scaletui.config.units import key_path, toml_value
from scaletui.errors import ConfigError

COUNT_HINT = "Entries count from 0: {key} is [[{table}]] number {n} in the file."


def entry_line(text: str | None, table: str, index: int, key: str | None = None) -> int | None:
    """The line (from 1) of the `index`-th `[[table]]` header in `text`, or of its `key = ...` line when the entry
    has one; None when the text is missing or has fewer entries (an entry written inline, say)."""
    if not text:
        return None
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    lines = text.splitlines()
    seen = -1
    for number, line in enumerate(lines, start=1):
        if header.match(line):
            seen += 1
            if seen == index:
                return _key_line(lines, number, key) if key else number
    return None


def _key_line(lines: list[str], header: int, key: str) -> int:
    assign = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for number in range(header + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.lstrip().startswith("["):
            break
        if assign.match(line):
            return number
    return header


def _quoted(text: str) -> list[str]:
    """The names pydantic lists as "'a', 'b' or 'c'"."""
    return re.findall(r"'([^']*)'", text)


def _file_loc(loc: tuple[int | str, ...], doc: Any) -> tuple[int | str, ...]:
    """`loc` as the file's keys: pydantic puts a tagged union's tag ("rescale") between an entry and its keys."""
    out: list[int | str] = []
    node = doc
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part not in node and part in node.values():
            continue
        out.append(part)
        try:
            node = node[part] if node is not None else None
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _lookup(doc: Any, loc: tuple[int | str, ...]) -> Any:
    node = doc
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _suggestion(bad: tuple[int | str, ...], errors: list[ErrorDetails]) -> str | None:
    """The missing key a misspelt one stands for: `paralelism` beside a missing `parallelism` in the same table."""
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and tuple(e["loc"][:-1]) == tuple(bad[:-1])]
    close = difflib.get_close_matches(str(bad[-1]), missing, n=1, cutoff=0.6)
    return close[0] if close else None


def _step_names(field: str) -> list[str]:
    """A timeline entry's steps, which pydantic does not list when the entry has no `do` at all."""
    from scaletui.config.models import step_names

    return step_names() if field == "do" else []


def _outside_run(error: ErrorDetails, doc: Any) -> tuple[tuple[int | str, ...], str]:
    """`Experiment`'s own check that a step falls inside the run: its ctx names the entry."""
    ctx = error.get("ctx") or {}
    table, index = str(ctx["table"]), int(ctx["index"])
    at = _lookup(doc, (table, index, "at"))
    duration = _lookup(doc, ("experiment", "duration"))
    shown_at = toml_value(at) if at is not None else f"{ctx['at']:g}"
    shown_run = duration if isinstance(duration, str) else f"{ctx['duration']:g}s"
    where = "not before" if ctx["at"] == ctx["duration"] else "after"
    return (table, index, "at"), f"{table}[{index}].at = {shown_at} is {where} the run's end (duration {shown_run})"


def from_validation(
    path: Path | str, err: ValidationError, prefix: str = "", doc: Any = None, text: str | None = None
) -> ConfigError:
    """The first error, named by key; the count of the others, so the sentence stays one sentence. A misspelt key
    comes first (it often explains a missing one). `doc` and `text` (the file as read) let the sentence name keys
    as the file writes them, show values as TOML and give an entry's line."""
    errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = _file_loc(tuple(first["loc"]), doc)
    key = key_path(loc)
    if prefix:
        key = f"{prefix}.{key}" if key != "(top level)" else prefix
    counted = len(errors) - 1
    got = first.get("input")
    ctx = first.get("ctx") or {}
    line_key = str(loc[2]) if len(loc) > 2 else None
    if first["type"] == "outside_run":
        loc, sentence = _outside_run(first, doc)
        line_key = "at"
    elif first["type"] == "guard_conflict":  # StrategySpec's own check, its message the one a live change gets
        sentence = f"{key}: {first['msg']}"
    elif first["type"] == "extra_forbidden":
        near = _suggestion(tuple(first["loc"]), errors)
        counted -= near is not None
        sentence = f"key {key} is not a known key " + (f"(did you mean {near}?)" if near else "(check its spelling)")
    elif first["type"] == "missing":
        sentence = f"key {key} is missing and required"
    elif first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        field = line_key = str(ctx.get("discriminator", "do")).strip("'")
        choices = ", ".join(_quoted(str(ctx.get("expected_tags", ""))) or _step_names(field))
        if first["type"] == "union_tag_invalid":
            sentence = f"{key}: {field} = {toml_value(ctx.get('tag'))} is not a step; expected one of {choices}"
        else:
            sentence = f"{key}: {field} is missing; it names the step, one of {choices}"
    elif first["type"] == "literal_error":
        choices = ", ".join(_quoted(str(ctx.get("expected", ""))))
        noun = "a fault kind" if loc and loc[-1] == "kind" else "one of the choices"
        sentence = f"{key} = {toml_value(got)} is not {noun}; expected one of {choices}"
    else:
        shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
        sentence = f"key {key} expected {first['msg'].removeprefix('Value error, ').rstrip('.').lower()}, got {shown}"
    tail = f" ({counted} more problem{'s' if counted > 1 else ''} in the file)" if counted > 0 else ""
    where, hint = str(path), ""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int) and not prefix:
        line = entry_line(text, loc[0], loc[1], line_key)
        if line is not None:
            where = f"{path}, line {line}"
            hint = COUNT_HINT.format(key=key_path(loc[:2]), table=loc[0], n=loc[1] + 1)
    return ConfigError(f"{where}: {sentence}{tail}.", hint)


def from_toml(path: Path | str, err: tomllib.TOMLDecodeError, hint: str = "Fix the line named.") -> ConfigError:
    return ConfigError(f"{path}: not valid TOML: {err}.", hint)


def read_toml(path: Path, hint: str = "Fix the line named.") -> dict:
    """Read a TOML file or raise one ConfigError naming the file and the line; `hint` says how to fix bad TOML."""
    return read_toml_text(path, hint)[0]


def read_toml_text(path: Path, hint: str = "Fix the line named.") -> tuple[dict, str]:
    """The document and its text (for naming lines in later errors), or one ConfigError as `read_toml` says."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}).") from None
    try:
        text = data.decode("utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}).") from None
    except tomllib.TOMLDecodeError as e:
        raise from_toml(path, e, hint) from None
