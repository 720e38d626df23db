"""Themes as Textual themes, read from TOML files in the top-level themes/ directory, and the semantic colours.

A theme file has three tables: `[theme]` (the fields of `textual.theme.Theme`), `[colours]` (what a state means:
ok, warn, fail, pending, fault-active, decision, hand) and `[variables]` (any other Textual CSS variable). Panes never
name a colour: CSS uses `$state-ok`..., Rich cells and plots ask `Palette` for the active theme's colour. With
NO_COLOR nothing is coloured (Textual's NoColor filter) and emphasis falls back to bold, reverse and underline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from scaletui.errors import ConfigError

SEMANTIC = ("ok", "warn", "fail", "pending", "fault-active", "decision", "hand")
"""Semantic colour names; each is the CSS variable `$state-<name>` (`$fault-active`, `$decision`, `$hand` as they
are)."""
DERIVED = {
    "ok": "success",
    "warn": "warning",
    "fail": "error",
    "pending": "secondary",
    "fault-active": "error",
    "decision": "accent",
    "hand": "warning",
}
"""Where a theme without a `[colours]` entry (Textual's own themes, or a partial file) takes it from."""
THEME_FIELDS = {f.name for f in fields(Theme)} - {"name", "variables"}
NO_COLOR_VARIABLES = {
    "block-cursor-text-style": "reverse",
    "block-cursor-blurred-text-style": "underline",
    "input-cursor-text-style": "reverse",
    "button-focus-text-style": "bold reverse",
}
"""With NO_COLOR the cursor and focus cannot be shown by colour; these Textual variables show them by style."""


def variable(name: str) -> str:
    """The CSS variable of a semantic colour: ok -> state-ok, fault-active -> fault-active."""
    if name not in SEMANTIC:
        raise KeyError(name)
    return name if name in ("fault-active", "decision", "hand") else f"state-{name}"


def _check_colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f'{path}: {key} = {value!r}: expected a colour in quotes, like "#4ea1ff" or "ansi_red".')
    if value.startswith("ansi_") or value in ("auto", "transparent"):
        return value
    try:
        Color.parse(value)
    except ColorParseError:
        raise ConfigError(
            f'{path}: {key} = "{value}" is not a colour: use "#rrggbb", a CSS name or "ansi_red".'
        ) from None
    return value


def read_theme(path: Path) -> Theme:
    """One theme file; raises ConfigError naming the file, the key and what was expected."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot be read as TOML ({e}).") from None
    unknown = set(doc) - {"theme", "colours", "variables"}
    if unknown:
        raise ConfigError(f"{path}: unknown table {sorted(unknown)[0]!r}; a theme has [theme], [colours], [variables].")
    table = doc.get("theme", {})
    kwargs: dict[str, object] = {}
    for key, value in table.items():
        attr = key.replace("-", "_")
        if attr not in THEME_FIELDS:
            raise ConfigError(
                f"{path}: [theme] {key} is not a Textual theme field ({', '.join(sorted(THEME_FIELDS))})."
            )
        if attr in ("dark", "ansi"):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: [theme] {key} = {value!r}: expected true or false.")
            kwargs[attr] = value
        elif attr in ("luminosity_spread", "text_alpha"):
            if not isinstance(value, (int, float)):
                raise ConfigError(f"{path}: [theme] {key} = {value!r}: expected a number.")
            kwargs[attr] = float(value)
        else:
            kwargs[attr] = _check_colour(path, f"[theme] {key}", value)
    if "primary" not in kwargs:
        raise ConfigError(f"{path}: [theme] needs a primary colour.")
    variables: dict[str, str] = {}
    for key, value in doc.get("variables", {}).items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [variables] {key} = {value!r}: expected a value in quotes.")
        variables[key] = value
    for key, value in doc.get("colours", {}).items():
        if key not in SEMANTIC:
            raise ConfigError(f"{path}: [colours] {key} is not a semantic colour ({', '.join(SEMANTIC)}).")
        variables[variable(key)] = _check_colour(path, f"[colours] {key}", value)
    return Theme(name=path.stem, variables=variables, **kwargs)  # type: ignore[arg-type]


def theme_dirs(configured: str) -> list[Path]:
    """The configured themes directory (relative to the working directory, else to the checkout), then the user's."""
    path = Path(configured).expanduser()
    if not path.is_absolute() and not path.is_dir():
        path = Path(__file__).resolve().parents[2] / configured
    return [path, Path("~/.config/scaletui/themes").expanduser()]


def load_themes(dirs: list[Path]) -> tuple[dict[str, Theme], list[str]]:
    """Every theme found, in file-name order (a later directory overrides a name), and one sentence per bad file."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
            try:
                themes[path.stem] = read_theme(path)
            except ConfigError as e:
                problems.append(e.message)
    return themes, problems


def semantic_defaults(theme: Theme) -> dict[str, str]:
    """The semantic variables for a theme that does not set them, from its own success/warning/error colours."""
    out: dict[str, str] = {}
    for name, source in DERIVED.items():
        value = getattr(theme, source) or theme.primary
        out[variable(name)] = value
    return out


@dataclass(frozen=True)
class Palette:
    """The active theme's semantic colours as Rich styles (table cells, chart lines)."""

    colours: dict[str, str]
    no_color: bool = False

    @classmethod
    def of(cls, theme_variables: dict[str, str], no_color: bool) -> Palette:
        return cls({name: theme_variables.get(variable(name), "") for name in SEMANTIC}, no_color)

    def style(self, name: str, extra: str = "") -> str:
        """A Rich style: the colour (as Rich names it) plus `extra` attributes; attributes only with NO_COLOR."""
        value = "" if self.no_color else rich_colour(self.colours.get(name, ""))
        return " ".join(part for part in (extra, value) if part)


def rich_colour(value: str) -> str:
    """Textual's "ansi_bright_red" is Rich's "bright_red"; other values are given as hex."""
    if not value:
        return ""
    if value.startswith("ansi_"):
        name = value.removeprefix("ansi_")
        return "default" if name == "default" else name
    try:
        return Color.parse(value).hex
    except ColorParseError:
        return ""
