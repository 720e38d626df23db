"""Load and validate conf/ files; every error names the file, the key and what was expected.

Validation needs pydantic and the models (~0.2 s to import), which the TUI's first frame must not wait for:
`peek_app_config` reads the few settings that frame needs with tomllib alone, and `load_app_config` validates the
whole file right after. Both apply the same environment overrides, so they agree.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scaletui.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from scaletui.config.models import AppConfig, Experiment, PlatformFile, StrategyFile

M = TypeVar("M", bound="BaseModel")


def load_model(path: Path | str, model: type[M]) -> M:
    from pydantic import ValidationError

    from scaletui.config.errors import from_validation, read_toml_text

    path = Path(path)
    doc, text = read_toml_text(path)
    try:
        return model.model_validate(doc)
    except ValidationError as e:
        raise from_validation(path, e, doc=doc, text=text) from None


def app_config_path(explicit: str | None = None) -> Path | None:
    """--config, then $SCALETUI_CONFIG, then ./conf/scaletui.toml, then ~/.config/scaletui/scaletui.toml. A file the
    user named must exist: falling back to the defaults would quietly put sessions and results elsewhere."""
    if named := explicit or os.environ.get("SCALETUI_CONFIG"):
        path = Path(named).expanduser()
        if not path.is_file():
            what = "not a file" if path.exists() else "no such file"
            raise ConfigError(f"{named}: {what}.", "Name an existing settings file (conf/scaletui.toml documents it).")
        return path
    for candidate in ("conf/scaletui.toml", "~/.config/scaletui/scaletui.toml"):
        if Path(candidate).expanduser().is_file():
            return Path(candidate).expanduser()
    return None


@dataclass(frozen=True)
class FirstFrameSettings:
    """What the TUI's first frame needs from conf/scaletui.toml; defaults are AppConfig's."""

    path: Path | None
    theme: str = "dark"
    session: str = "default"
    sessions: str = "~/.local/share/scaletui/sessions"
    themes: str = "themes"
    keymap: dict[str, str] = field(default_factory=dict)


def _text(doc: dict[str, Any], key: str, default: str) -> str:
    """A string setting, or the default when it has another type (validation reports that right after)."""
    value = doc.get(key, default)
    return value if isinstance(value, str) else default


def peek_app_config(explicit: str | None = None) -> FirstFrameSettings:
    """The first frame's settings with tomllib only; a file that is not TOML is refused here, in one sentence."""
    path = app_config_path(explicit)
    doc: dict[str, Any] = {}
    if path is not None:
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"{path}: cannot be read ({e.strerror}).") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"{path}: not UTF-8 text (byte {e.start}).") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML: {e}.", "Fix the line named.") from None
    paths: dict[str, Any] = doc["paths"] if isinstance(doc.get("paths"), dict) else {}
    keymap: dict[str, Any] = doc["keymap"] if isinstance(doc.get("keymap"), dict) else {}
    sessions = _text(paths, "sessions", FirstFrameSettings.sessions)
    if home := os.environ.get("SCALETUI_HOME"):
        sessions = str(Path(home) / "sessions")
    return FirstFrameSettings(
        path=path,
        theme=os.environ.get("SCALETUI_THEME") or _text(doc, "theme", FirstFrameSettings.theme),
        session=os.environ.get("SCALETUI_SESSION") or _text(doc, "session", FirstFrameSettings.session),
        sessions=sessions,
        themes=_text(paths, "themes", FirstFrameSettings.themes),
        keymap={str(k): str(v) for k, v in keymap.items() if isinstance(v, str)},
    )


def load_app_config(explicit: str | None = None) -> AppConfig:
    """App settings; SCALETUI_THEME, SCALETUI_SESSION and SCALETUI_HOME (root of sessions and cache) override."""
    from scaletui.config.models import AppConfig

    path = app_config_path(explicit)
    config = load_model(path, AppConfig) if path else AppConfig()
    if theme := os.environ.get("SCALETUI_THEME"):
        config.theme = theme
    if session := os.environ.get("SCALETUI_SESSION"):
        config.session = session
    if home := os.environ.get("SCALETUI_HOME"):
        config.paths.sessions = str(Path(home) / "sessions")
        config.paths.cache = str(Path(home) / "cache")
    return config


def load_experiment(path: Path | str) -> Experiment:
    from scaletui.config.models import Experiment

    return load_model(path, Experiment)


def load_platform(path: Path | str) -> PlatformFile:
    from scaletui.config.models import PlatformFile

    return load_model(path, PlatformFile)


def load_strategy(path: Path | str) -> StrategyFile:
    from scaletui.config.models import StrategyFile

    return load_model(path, StrategyFile)
