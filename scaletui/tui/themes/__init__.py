"""Themes as files: each `<name>.tcss` here is one Textual theme written as `$variable: value;` lines."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from textual.theme import Theme

THEME_DIR = Path(__file__).parent
_LINE = re.compile(r"^\s*\$([a-z0-9-]+)\s*:\s*([^;]+);", re.M)
_FIELDS = {f.name for f in fields(Theme)} - {"name", "variables"}


def parse_theme(name: str, text: str) -> Theme:
    values: dict[str, str] = dict(_LINE.findall(re.sub(r"/\*.*?\*/", "", text, flags=re.S)))
    kwargs: dict[str, object] = {}
    variables: dict[str, str] = {}
    for key, value in values.items():
        value = value.strip()
        attr = key.replace("-", "_")
        if attr in _FIELDS:
            kwargs[attr] = value == "true" if value in ("true", "false") else value
        else:
            variables[key] = value
    if "primary" not in kwargs:
        raise ValueError(f"theme {name}: $primary is required")
    return Theme(name=name, variables=variables, **kwargs)  # type: ignore[arg-type]


def load_themes(directory: Path = THEME_DIR) -> dict[str, Theme]:
    return {p.stem: parse_theme(p.stem, p.read_text()) for p in sorted(directory.glob("*.tcss"))}
