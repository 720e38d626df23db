"""Read a Scalehub INI the way Scalehub does (configparser) and keep track of which keys were used.

Every key an importer takes is marked as used; whatever is left at the end is reported as not mapped, so no key
is silently dropped. Secrets are recognised by name and never handed out as values.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

from scaletui.errors import ConfigError
from scaletui.session.store import SECRET_KEY

Scalar = str | int | float | bool

_LIST_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class UnmappedKey:
    """One INI key that produced nothing in the TOML files, and why."""

    section: str
    key: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.section}] {self.key}"


def is_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def split_list(value: str) -> list[str]:
    """Scalehub lists are written `a, b` in some files and `a b` in others; accept both."""
    return [part for part in _LIST_SPLIT.split(value.strip()) if part]


def unquote(value: str) -> str:
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def coerce(value: str) -> Scalar:
    """INI values are text; give TOML the number or boolean the text spells."""
    text = unquote(value)
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", text):
        return float(text)
    return text


@dataclass
class ScalehubIni:
    """A parsed INI plus the bookkeeping of used and refused keys."""

    path: Path
    parser: configparser.ConfigParser
    used: set[tuple[str, str]] = field(default_factory=set)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> ScalehubIni:
        parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"))
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file.", "Give the path of a Scalehub .ini file.") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: cannot be read ({e}).") from None
        try:
            parser.read_string(text, source=str(path))
        except configparser.MissingSectionHeaderError as e:
            raise ConfigError(
                f"{path}: line {e.lineno} comes before any [section] header.",
                "Import a Scalehub .ini file with [platforms] or [experiment] sections, not a flat .conf file.",
            ) from None
        except configparser.Error as e:
            first_line = str(e).splitlines()[0].rstrip(".")
            raise ConfigError(f"{path}: not a valid INI file: {first_line}.") from None
        return cls(path=path, parser=parser)

    def has(self, section: str, key: str | None = None) -> bool:
        if key is None:
            return self.parser.has_section(section)
        return self.parser.has_option(section, key)

    def sections(self) -> list[str]:
        return self.parser.sections()

    def keys(self, section: str) -> list[str]:
        return list(self.parser[section].keys()) if self.parser.has_section(section) else []

    def raw(self, section: str, key: str) -> str:
        """The text of a key, marking it used. Secrets are refused here so no caller can copy one by mistake."""
        if is_secret(key):
            raise KeyError(f"[{section}] {key} is a secret")
        self.used.add((section, key))
        return self.parser[section][key]

    def value(self, section: str, key: str) -> Scalar:
        return coerce(self.raw(section, key))

    def integer(self, section: str, key: str, minimum: int = 0) -> int:
        text = unquote(self.raw(section, key))
        lowered = text.lower()
        if lowered in ("true", "false"):
            return int(lowered == "true")
        if not re.fullmatch(r"[+-]?\d+", text) or int(text) < minimum:
            raise ConfigError(
                f"{self.path}: key [{section}] {key} expected a whole number of at least {minimum}, got {text!r}."
            )
        number = int(text)
        return number

    def number(self, section: str, key: str) -> float:
        text = unquote(self.raw(section, key))
        try:
            number = float(text)
        except ValueError:
            number = -1.0
        if number < 0:
            raise ConfigError(
                f"{self.path}: key [{section}] {key} expected a number that is not negative, got {text!r}."
            )
        return number

    def skip(self, section: str, key: str, reason: str) -> None:
        """A key read but deliberately not carried over; reported with its reason."""
        self.reasons[(section, key)] = reason

    def unmapped(self) -> list[UnmappedKey]:
        """Every key of the file not used, in file order, with the most precise reason known."""
        out = []
        for section in self.parser.sections():
            for key in self.parser[section]:
                if (section, key) in self.used:
                    continue
                if is_secret(key):
                    reason = "a secret: never copied into scaletui files"
                else:
                    reason = self.reasons.get((section, key), "no scaletui equivalent")
                out.append(UnmappedKey(section, key, reason))
        return out


def find_beside(ini_dir: Path, path_text: str) -> Path | None:
    """Scalehub paths point inside its container (/app/conf/...): look for the same tail next to the INI."""
    path = Path(path_text)
    if path.is_absolute() and path.is_file():
        return path
    if not path.is_absolute() and (ini_dir / path).is_file():
        return ini_dir / path
    parts = path.parts[1:] if path.is_absolute() else path.parts
    for base in (ini_dir, *list(ini_dir.parents)[:3]):
        for start in range(len(parts)):
            candidate = base.joinpath(*parts[start:])
            if candidate.is_file():
                return candidate
    return None
